import type { AttemptRecord } from '@synack/shared/attempt-record';
import { isAnswered } from '@synack/shared/probe-outcome';
import type { Diagnosis } from '@synack/shared/verdict';
import type { ProbeReport } from '@synack/shared/wire/probe-report';
import type { SloReport } from '@synack/shared/wire/slo-report';
import type { TargetStatus } from '../api/target-status.ts';
import type { DiagnosisRecord } from '../diagnosis/diagnosis-state.ts';

/** A Slack message: fallback text (notifications) and Block Kit blocks. */
export type SlackMessage = {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: unknown[];
  replace_original?: boolean;
};

// Slack's limits: 3000 characters per section text, 50 blocks per message.
const MAX_TEXT = 2900;
const MAX_FACTS = 8;

/** Escapes what Slack's mrkdwn reads as markup in text that came from elsewhere. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text) } });
const context = (text: string) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(text) }] });
const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text: text.slice(0, 150) } });

/** A reply only the requester sees. */
export function ephemeral(text: string): SlackMessage {
  return { response_type: 'ephemeral', text: clip(text) };
}

/** The immediate acknowledgement of a probe. */
export function probeAck(report: ProbeReport): SlackMessage {
  const count = report.regions.length;
  const skipped = report.noRunner.length > 0 ? ` (no live runner in ${report.noRunner.join(', ')})` : '';
  return ephemeral(`Probing ${report.target.display} from ${count} region${count === 1 ? '' : 's'}…${skipped}`);
}

/** A probe's results, for the channel: per region the SYN and connect outcomes, the diagnosis, the trace. */
export function probeMessage(report: ProbeReport): SlackMessage {
  if (report.status === 'abandoned') {
    return {
      response_type: 'in_channel',
      replace_original: false,
      text: `synack probe ${report.target.display}: the collector stopped before the probe ended; run it again (request ${report.id})`,
    };
  }
  const failing = report.regions.filter((region) => !regionOk(report.byRegion[region] ?? []));
  const answered = report.regions.length - failing.length;
  const summary =
    failing.length === 0
      ? `all ${report.regions.length} regions completed the handshake`
      : `${failing.length} of ${report.regions.length} region${report.regions.length === 1 ? '' : 's'} failing`;
  const where =
    report.target.addresses.length > 0 ? ` (${report.target.addresses.join(', ')} port ${report.target.port})` : '';
  const blocks: unknown[] = [
    header(`synack probe: ${report.target.display}`),
    section(
      `${failing.length === 0 ? ':white_check_mark:' : ':x:'} *${escapeMrkdwn(summary)}*${escapeMrkdwn(where)}\nrequested by ${escapeMrkdwn(report.requestedBy)}`,
    ),
  ];
  const multi = report.target.addresses.length > 1;
  for (const region of report.regions.slice(0, 30)) {
    const records = report.byRegion[region] ?? [];
    const lines = records.length === 0 ? ['no result'] : records.map((r) => attemptLine(r, multi));
    const icon = report.missing.includes(region) ? ':hourglass:' : regionOk(records) ? ':white_check_mark:' : ':x:';
    const late = report.missing.includes(region) ? ' _(no answer in time)_' : '';
    blocks.push(section(`${icon} *${escapeMrkdwn(region)}*${late}\n${lines.join('\n')}`));
  }
  for (const region of report.noRunner) blocks.push(section(`:warning: *${escapeMrkdwn(region)}*: no live runner`));
  blocks.push({ type: 'divider' });
  blocks.push(...diagnosisBlocks(report.diagnosis, report.target.configured));
  blocks.push(context(`trace \`${report.traceId ?? 'not exported'}\` · request \`${report.id}\``));
  return {
    response_type: 'in_channel',
    replace_original: false,
    text: `synack probe ${report.target.display}: ${summary} (${answered}/${report.regions.length} ok)`,
    blocks: blocks.slice(0, 50),
  };
}

/** `status <target>`: the latest outcome and the last 5 minutes, per region and probe kind. */
export function statusMessage(
  target: string,
  rows: readonly TargetStatus[],
  diagnosis: DiagnosisRecord | null,
): SlackMessage {
  if (rows.length === 0) return ephemeral(`No results for ${target} yet.`);
  const lines = rows.map((row) => {
    const ratio =
      row.successRatio5m === null ? 'no attempts' : `${percent(row.successRatio5m)} ok of ${row.attempts5m}`;
    const p50 = row.rttP50Us === null ? '' : `, p50 ${formatUs(row.rttP50Us)}`;
    return `*${escapeMrkdwn(row.region)}* ${row.kind}: ${escapeMrkdwn(row.lastOutcome ?? 'none')} · ${ratio} (5 min)${p50}`;
  });
  return {
    response_type: 'ephemeral',
    text: `synack status ${target}`,
    blocks: [header(`synack status: ${target}`), section(lines.join('\n')), ...diagnosisBlocks(diagnosis, true)].slice(
      0,
      50,
    ),
  };
}

/** `diagnose <target>`: the current diagnosis with its evidence and what to check next. */
export function diagnosisMessage(target: string, diagnosis: DiagnosisRecord | null): SlackMessage {
  return {
    response_type: 'ephemeral',
    text: `synack diagnose ${target}: ${diagnosis ? diagnosis.verdict : 'no diagnosis'}`,
    blocks: [header(`synack diagnose: ${target}`), ...diagnosisBlocks(diagnosis, true)],
  };
}

/** `slo <target>`: objective, SLI, budget left and burn rates. */
export function sloMessage(target: string, report: SloReport | null): SlackMessage {
  if (!report) return ephemeral(`${target} has no SLO (set slo.objective on it in the config).`);
  const sli = report.overall.ratio === null ? 'no data' : percent(report.overall.ratio, 3);
  const budget = report.budgetRemaining === null ? 'unknown' : percent(report.budgetRemaining, 1);
  const burns = report.burnRates
    .map((b) => `${formatWindow(b.windowMs)} ${b.rate === null ? '–' : b.rate.toFixed(2)}`)
    .join(' · ');
  const firing = report.alerts
    .filter((a) => a.firing)
    .map((a) => `${a.severity} (${formatWindow(a.longMs)}/${formatWindow(a.shortMs)})`);
  const regions = Object.entries(report.byRegion)
    .map(([region, w]) => `${escapeMrkdwn(region)} ${w.ratio === null ? '–' : percent(w.ratio, 3)}`)
    .join(' · ');
  return {
    response_type: 'ephemeral',
    text: `synack slo ${target}: SLI ${sli}, budget ${budget}`,
    blocks: [
      header(`synack slo: ${target}`),
      section(
        `*Objective* ${percent(report.objective, 3)} within ${report.thresholdMs} ms over ${formatWindow(report.windowMs)}\n` +
          `*SLI* ${sli} (${report.overall.good} good of ${report.overall.total}${report.overall.excluded ? `, ${report.overall.excluded} excluded` : ''})\n` +
          `*Budget left* ${budget}\n*Burn rates* ${burns || '–'}\n*By region* ${regions || '–'}`,
      ),
      section(firing.length > 0 ? `:rotating_light: firing: ${firing.join(', ')}` : 'No burn-rate alert firing.'),
    ],
  };
}

/** `help`. */
export function helpMessage(command = '/synack'): SlackMessage {
  return ephemeral(
    [
      `*${command} probe <target|host:port> [region ...]*: a SYN and a connect() now from each region, with the diagnosis`,
      `*${command} status <target>*: latest outcome and last 5 minutes per region`,
      `*${command} diagnose <target>*: why it fails, with the evidence`,
      `*${command} slo <target>*: objective, SLI, error budget and burn rates`,
      'Addresses outside the configured targets must be in on_demand.allow.',
    ].join('\n'),
  );
}

function diagnosisBlocks(diagnosis: (Diagnosis & { status?: string }) | null, configured: boolean): unknown[] {
  if (!diagnosis) {
    return [
      context(
        configured
          ? 'No diagnosis for this target: its scheduled probes have not failed.'
          : 'Not a configured target: no diagnosis or server-side snapshot.',
      ),
    ];
  }
  const scope = [diagnosis.scope.families.join('+'), diagnosis.scope.regions.join(', ')].filter(Boolean).join(' from ');
  const state = diagnosis.status === 'resolved' ? ' (resolved)' : '';
  const facts = diagnosis.evidence
    .slice(0, MAX_FACTS)
    .map((e) => `• ${escapeMrkdwn(e.source)}: ${escapeMrkdwn(e.fact)} = \`${escapeMrkdwn(String(e.value))}\``);
  if (diagnosis.evidence.length > MAX_FACTS) facts.push(`• …and ${diagnosis.evidence.length - MAX_FACTS} more`);
  return [
    section(
      `*Diagnosis:* \`${diagnosis.verdict}\`${state}${scope ? ` (${escapeMrkdwn(scope)})` : ''}\n${facts.join('\n')}`,
    ),
    ...(diagnosis.next ? [section(`*Next:* ${escapeMrkdwn(diagnosis.next)}`)] : []),
  ];
}

function regionOk(records: readonly AttemptRecord[]): boolean {
  return records.length > 0 && records.every((r) => isAnswered(r.outcome));
}

function attemptLine(record: AttemptRecord, withAddress: boolean): string {
  const kind = record.kind === 'syn' ? 'SYN' : 'connect';
  const icon = isAnswered(record.outcome) ? ':large_green_circle:' : ':red_circle:';
  const rtt = record.rttUs === null ? '' : ` ${formatUs(record.rttUs)}`;
  const retrans =
    record.retransmits > 0 ? `, ${record.retransmits} retransmit${record.retransmits === 1 ? '' : 's'}` : '';
  const icmp = record.icmp ? ` (${record.icmp.meaning} from ${record.icmp.from})` : '';
  const error = record.error ? ` (${record.error.code})` : '';
  const address = withAddress ? ` ${record.target.address}` : '';
  return `${icon} ${kind}${escapeMrkdwn(address)}: ${record.outcome}${rtt}${retrans}${escapeMrkdwn(icmp + error)}`;
}

/** Microseconds as `850 µs`, `1.24 ms`, `1.2 s`. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(1)} s`;
}

function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

function formatWindow(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
