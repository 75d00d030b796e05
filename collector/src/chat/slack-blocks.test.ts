import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { ProbeReport } from '@synack/shared/wire/probe-report';
import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, formatUs, probeAck, probeMessage } from './slack-blocks.ts';

function record(kind: 'syn' | 'connect', outcome: string, rttUs: number | null, address = '10.0.0.5'): AttemptRecord {
  return {
    v: 1,
    id: `${kind}-${address}`,
    kind,
    outcome,
    target: { name: 'web', address, port: 443, family: 'v4' },
    source: null,
    startedAt: '2026-11-23T10:00:00.000Z',
    synSentUs: [0],
    answerUs: rttUs,
    rttUs,
    retransmits: outcome === 'timeout' ? 3 : 0,
    ...(kind === 'syn' ? { answeredSyn: null } : {}),
  } as AttemptRecord;
}

function report(over: Partial<ProbeReport> = {}): ProbeReport {
  return {
    id: '0b9c5f1e-7a55-4cd8-9a55-3f4a3a6c2f10',
    status: 'done',
    requestedBy: 'slack:T1/U1 (alice)',
    requestedAtMs: 0,
    finishedAtMs: 1,
    deadlineMs: 2,
    target: { name: 'web', configured: true, display: 'web', port: 443, addresses: ['10.0.0.5'] },
    regions: ['eu-west', 'us-east'],
    noRunner: ['ap-south'],
    missing: [],
    byRegion: {
      'eu-west': [record('syn', 'synack', 1240), record('connect', 'established', 1410)],
      'us-east': [record('syn', 'timeout', null), record('connect', 'timeout', null)],
    },
    diagnosis: {
      verdict: 'server_no_route_to_client',
      scope: { families: ['v4'], regions: ['us-east'] },
      evidence: [{ source: 'agent:web-1 routes', fact: 'route get 10.9.0.2', value: 'unreachable <no route>' }],
      next: 'Add the route back to 10.9.0.0/16 on the server.',
      status: 'open',
      openedAtMs: 0,
      updatedAtMs: 0,
    },
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    ...over,
  };
}

describe('Slack messages', () => {
  it('acknowledges with the target and the number of regions', () => {
    expect(probeAck(report())).toEqual({
      response_type: 'ephemeral',
      text: 'Probing web from 2 regions… (no live runner in ap-south)',
    });
  });

  it('shows each region, the diagnosis with escaped evidence, and the trace', () => {
    const message = probeMessage(report());
    expect(message.response_type).toBe('in_channel');
    expect(message.text).toBe('synack probe web: 1 of 2 regions failing (1/2 ok)');
    const texts = (message.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? JSON.stringify(b));
    expect(texts).toEqual([
      'synack probe: web',
      ':x: *1 of 2 regions failing* (10.0.0.5 port 443)\nrequested by slack:T1/U1 (alice)',
      ':white_check_mark: *eu-west*\n:large_green_circle: SYN: synack 1.24 ms\n:large_green_circle: connect: established 1.41 ms',
      ':x: *us-east*\n:red_circle: SYN: timeout, 3 retransmits\n:red_circle: connect: timeout, 3 retransmits',
      ':warning: *ap-south*: no live runner',
      '{"type":"divider"}',
      '*Diagnosis:* `server_no_route_to_client` (v4 from us-east)\n• agent:web-1 routes: route get 10.9.0.2 = `unreachable &lt;no route&gt;`',
      '*Next:* Add the route back to 10.9.0.0/16 on the server.',
      '{"type":"context","elements":[{"type":"mrkdwn","text":"trace `4bf92f3577b34da6a3ce929d0e0e4736` · request `0b9c5f1e-7a55-4cd8-9a55-3f4a3a6c2f10`"}]}',
    ]);
  });

  it("stays inside Slack's limits: 50 blocks, 3000 characters a section", () => {
    const regions = Array.from({ length: 80 }, (_, i) => `r${i}`);
    const many = report({
      regions,
      byRegion: Object.fromEntries(
        regions.map((r) => [r, Array.from({ length: 64 }, (_, i) => record('syn', 'timeout', null, `10.0.${i}.1`))]),
      ),
      target: { name: 'web', configured: true, display: 'web', port: 443, addresses: ['10.0.0.1', '10.0.0.2'] },
    });
    const message = probeMessage(many);
    expect(message.blocks?.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks as { text?: { text: string } }[])
      expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
  });

  it('formats times and escapes markup', () => {
    expect([formatUs(850), formatUs(1240), formatUs(25_400), formatUs(3_100_000)]).toEqual([
      '850 µs',
      '1.24 ms',
      '25.4 ms',
      '3.1 s',
    ]);
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
});
