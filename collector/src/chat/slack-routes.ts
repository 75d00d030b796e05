import { createHash } from 'node:crypto';
import type { SynackConfig } from '@synack/shared/config/synack-config';
import type { Logger } from '@synack/shared/logger';
import type { SloReport } from '@synack/shared/wire/slo-report';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Cluster, Redis } from 'ioredis';
import { describeIssue, slackCommandForm } from '../api/api-schemas.ts';
import { clientIp, HttpError } from '../api/create-app.ts';
import type { TargetStatus } from '../api/target-status.ts';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';
import type { Actor, AuditLog } from '../probes/audit-log.ts';
import type { ProbeService } from '../probes/probe-service.ts';
import { isAllowedResponseUrl, postToResponseUrl } from './response-url.ts';
import {
  diagnosisMessage,
  ephemeral,
  escapeMrkdwn,
  helpMessage,
  probeAck,
  probeMessage,
  type SlackMessage,
  sloMessage,
  statusMessage,
} from './slack-blocks.ts';
import { parseSlackCommand } from './slack-command.ts';
import { SLACK_TOLERANCE_S, verifySlackRequest } from './verify-slack-request.ts';

export type SlackRoutesDeps = {
  config: () => SynackConfig;
  /** The signing secret, or `null` when the command is off. */
  secret: () => string | null;
  redis: Redis | Cluster;
  probes: ProbeService;
  reads: {
    targets(): Promise<TargetStatus[]>;
    diagnosis(target: string): Promise<DiagnosisRecord | null>;
    slo(target: string): Promise<SloReport | null>;
  };
  audit: AuditLog;
  logger: Logger;
  post?: typeof postToResponseUrl;
  now?: () => number;
  /** Default 2.5 s. */
  answerWithinMs?: number;
};

const FIELD = /^[A-Za-z0-9._-]{1,64}$/;
// Slack waits 3 s for the answer; the rest is the network's.
const ANSWER_WITHIN_MS = 2500;

/**
 * `POST /slack/commands`, the `/synack` slash command. Every request is verified as Slack
 * specifies (signature, 5-minute window) and a signature is accepted once (the record is in Redis,
 * shared by all collectors); a failure is a bare 401, logged for audit. A probe is acknowledged at
 * once and its results posted to the `response_url`, which must be Slack's (or a configured host).
 */
export function mountSlackRoutes(app: Hono, deps: SlackRoutesDeps): { drain(): Promise<void> } {
  const now = deps.now ?? Date.now;
  const post = deps.post ?? postToResponseUrl;
  const deliveries = new Set<Promise<void>>();
  const refuse = async (c: Context, reason: string): Promise<never> => {
    const ip = clientIp(c);
    deps.logger.warn({ ip, reason }, 'Slack request refused');
    // Not awaited: a refusal answers at once, whatever state the store is in.
    void deps.audit.record({
      atMs: now(),
      actor: { via: 'anonymous', ip },
      action: 'auth_failed',
      target: 'POST /slack/commands',
      decision: 'refused',
      reason,
      ip,
    });
    throw new HttpError(401, 'SYNACK_ERR_UNAUTHORIZED', 'unauthorized');
  };
  const answer = async (c: Context, rawBody: string, signature: string): Promise<SlackMessage> => {
    // A valid signature seen before is a replay: Slack signs each request anew.
    const seenKey = `${deps.config().prefix}:slack-seen:${createHash('sha256').update(signature).digest('hex')}`;
    const first = await deps.redis.set(seenKey, '1', 'EX', 2 * SLACK_TOLERANCE_S + 60, 'NX');
    if (first !== 'OK') return refuse(c, 'replayed');
    // Signed by Slack, so a bad field is Slack's or a proxy's doing: the answer is a message the
    // user sees, naming the field, rather than an error page.
    const form = slackCommandForm.safeParse(Object.fromEntries(new URLSearchParams(rawBody)));
    if (!form.success)
      return ephemeral(`synack cannot read this request: ${escapeMrkdwn(describeIssue(form.error, 'form'))}`);
    const name = (text: string | undefined) => (text && FIELD.test(text) ? text : '');
    const actor: Actor = {
      via: 'slack',
      team: form.data.team_id,
      user: form.data.user_id,
      userName: name(form.data.user_name),
      channel: form.data.channel_id,
      channelName: name(form.data.channel_name),
    };
    const command = form.data.command ?? '/synack';
    const parsed = parseSlackCommand(form.data.text);
    const audit = (action: string, target: string | undefined, refusedFor?: string) =>
      deps.audit.record({
        atMs: now(),
        actor,
        action,
        ...(target ? { target } : {}),
        decision: refusedFor ? 'refused' : 'allowed',
        ...(refusedFor ? { reason: refusedFor } : {}),
        ip: clientIp(c),
      });
    const configured = (target: string) => deps.config().targets.some((t) => t.name === target);
    switch (parsed.command) {
      case 'help':
        await audit('help', undefined);
        return helpMessage(command);
      case 'invalid':
        await audit('invalid', form.data.text.slice(0, 200), 'bad_command');
        return ephemeral(`${escapeMrkdwn(parsed.message)}\nType \`${command} help\` for the commands.`);
      case 'status':
      case 'diagnose':
      case 'slo': {
        if (!configured(parsed.target)) {
          await audit(parsed.command, parsed.target, 'unknown_target');
          return unknownTarget(parsed.target, deps);
        }
        await audit(parsed.command, parsed.target);
        if (parsed.command === 'diagnose')
          return diagnosisMessage(parsed.target, await deps.reads.diagnosis(parsed.target));
        if (parsed.command === 'slo') return sloMessage(parsed.target, await deps.reads.slo(parsed.target));
        const rows = (await deps.reads.targets()).filter((row) => row.target === parsed.target);
        return statusMessage(parsed.target, rows, await deps.reads.diagnosis(parsed.target));
      }
      case 'probe': {
        const responseUrl = form.data.response_url ?? '';
        if (!isAllowedResponseUrl(responseUrl, deps.config().slack.responseUrlHosts)) {
          await audit('probe', parsed.target, 'bad_response_url');
          return ephemeral('synack posts results only to Slack (response_url is not a Slack URL).');
        }
        const started = await deps.probes.start({
          target: parsed.target,
          ...(parsed.regions.length > 0 ? { regions: parsed.regions } : {}),
          actor,
          ip: clientIp(c),
        });
        if (!started.ok)
          return ephemeral(`Not probing ${escapeMrkdwn(parsed.target)}: ${escapeMrkdwn(started.message)}`);
        const delivery = started.done
          .then(async (report) => {
            const sent = await post(responseUrl, probeMessage(report));
            // The URL is a credential for this channel: log its host only.
            const host = new URL(responseUrl).host;
            if (!sent.ok)
              deps.logger.warn(
                { requestId: report.id, host, status: sent.status, err: sent.error },
                'probe result not delivered to Slack',
              );
          })
          .catch((error: Error) => deps.logger.error({ err: error.message }, 'probe result delivery failed'));
        deliveries.add(delivery);
        void delivery.finally(() => deliveries.delete(delivery));
        return probeAck(started.report);
      }
    }
  };
  app.post(
    '/slack/commands',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new HttpError(413, 'SYNACK_ERR_TOO_LARGE', 'body larger than 16 KiB');
      },
    }),
    async (c) => {
      const secret = deps.secret();
      if (secret === null) {
        throw new HttpError(
          503,
          'SYNACK_ERR_SLACK_OFF',
          'the Slack command is off: set SYNACK_SLACK_SIGNING_SECRET or slack.signing_secret_file',
        );
      }
      const rawBody = await c.req.text();
      const signature = c.req.header('x-slack-signature');
      const verified = verifySlackRequest({
        secret,
        timestamp: c.req.header('x-slack-request-timestamp'),
        signature,
        rawBody,
        nowMs: now(),
      });
      if (!verified.ok) return refuse(c, verified.reason);
      // Slack gives up after 3 s; a store that does not answer must not leave the user with
      // Slack's "operation timed out". The work goes on (a probe that started still posts).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<SlackMessage>((resolve) => {
        timer = setTimeout(
          () =>
            resolve(
              ephemeral(
                'synack did not answer within Slack’s 3 seconds (its store is slow). If a probe started, its result will still be posted here.',
              ),
            ),
          deps.answerWithinMs ?? ANSWER_WITHIN_MS,
        );
      });
      const work = answer(c, rawBody, signature ?? '');
      work.catch(() => {});
      try {
        return c.json(await Promise.race([work, late]));
      } finally {
        clearTimeout(timer);
      }
    },
  );
  return {
    async drain() {
      await Promise.allSettled([...deliveries]);
    },
  };
}

function unknownTarget(target: string, deps: SlackRoutesDeps): SlackMessage {
  const names = deps.config().targets.map((t) => t.name);
  const some = names.slice(0, 10).join(', ');
  return ephemeral(`No configured target is named "${target}". Targets: ${some}${names.length > 10 ? ', …' : ''}`);
}
