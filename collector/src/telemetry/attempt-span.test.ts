import type { AttemptRecord } from '@synack/shared/attempt-record';
import { describe, expect, it } from 'vitest';
import { attemptSpan } from './attempt-span.ts';

const base = {
  v: 1 as const,
  id: '0190-a',
  target: { name: 'web', address: '2001:db8:5::10', port: 443, family: 'v6' as const },
  source: { address: '2001:db8:a::2', port: 40_123 },
  startedAt: '2026-11-23T12:00:00.000Z',
  retransmits: 0,
};
const T0 = Date.parse(base.startedAt);
const context = { region: 'eu-west', runnerId: 'runner-1', timeoutMs: 3000, serverAddress: 'web.example' };

describe('attemptSpan', () => {
  it('turns an answered SYN into an OK span with the runner’s own times and the conventions', () => {
    const record: AttemptRecord = {
      ...base,
      kind: 'syn',
      outcome: 'synack',
      synSentUs: [120],
      answerUs: 1620,
      rttUs: 1500,
      answeredSyn: 0,
    };
    const span = attemptSpan(record, context);
    expect(span).toMatchObject({
      name: 'tcp syn',
      startTimeMs: T0,
      endTimeMs: T0 + 1.62,
      status: { code: 'ok' },
      attributes: {
        // The host as configured; the configured name goes under synack.target.
        'server.address': 'web.example',
        'synack.target': 'web',
        'server.port': 443,
        'network.peer.address': '2001:db8:5::10',
        'network.local.address': '2001:db8:a::2',
        'network.local.port': 40_123,
        'network.type': 'ipv6',
        'network.transport': 'tcp',
        'synthetic.type': 'test',
        'synack.region': 'eu-west',
        'synack.runner.id': 'runner-1',
        'synack.probe.kind': 'syn',
        'synack.outcome': 'synack',
        'synack.rtt_us': 1500,
      },
    });
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.events).toEqual([
      { name: 'syn sent', timeMs: T0 + 0.12 },
      { name: 'syn-ack received', timeMs: T0 + 1.62 },
    ]);
  });

  it('marks a silent SYN an error that ends at its timeout, with every retransmission', () => {
    const record: AttemptRecord = {
      ...base,
      kind: 'syn',
      outcome: 'timeout',
      synSentUs: [100, 1_000_100, 2_000_200],
      answerUs: null,
      rttUs: null,
      answeredSyn: null,
      retransmits: 2,
    };
    const span = attemptSpan(record, { ...context, diagnosis: { verdict: 'server_no_route_to_client', summary: 'x' } });
    expect(span.endTimeMs).toBe(T0 + 3000);
    expect(span.status).toEqual({ code: 'error', message: 'no answer within 3000 ms' });
    expect(span.attributes).toMatchObject({
      'error.type': 'timeout',
      'synack.retransmits': 2,
      'synack.diagnosis.verdict': 'server_no_route_to_client',
    });
    expect(span.events.map((e) => e.name)).toEqual(['syn sent', 'syn retransmitted', 'syn retransmitted']);
  });

  it('names ICMP errors by meaning and sender, RSTs as refusals, local errors by code', () => {
    const icmp = attemptSpan(
      {
        ...base,
        kind: 'syn',
        outcome: 'icmp',
        synSentUs: [50],
        answerUs: 900,
        rttUs: 850,
        answeredSyn: 0,
        icmp: { type: 1, code: 1, from: '2001:db8:5::10', meaning: 'admin_prohibited' },
      },
      context,
    );
    expect(icmp.attributes).toMatchObject({ 'error.type': 'admin_prohibited', 'synack.icmp.from': '2001:db8:5::10' });
    expect(icmp.events.at(-1)?.name).toBe('icmp received');
    const refused = attemptSpan(
      { ...base, kind: 'connect', outcome: 'refused', synSentUs: [30], answerUs: 700, rttUs: 670 },
      context,
    );
    expect(refused).toMatchObject({ name: 'tcp connect', attributes: { 'error.type': 'connection_refused' } });
    const local = attemptSpan(
      {
        ...base,
        source: null,
        kind: 'connect',
        outcome: 'local_error',
        synSentUs: [],
        answerUs: null,
        rttUs: null,
        error: { code: 'SYNACK_ERR_NO_ROUTE', message: 'no route to 2001:db8:5::10' },
      },
      context,
    );
    expect(local.attributes['error.type']).toBe('SYNACK_ERR_NO_ROUTE');
    expect(local.attributes['network.local.address']).toBeUndefined();
    expect(local.status).toEqual({ code: 'error', message: 'no route to 2001:db8:5::10' });
  });
});
