import { describe, expect, it } from 'vitest';
import { attemptErrorType } from './attempt-error-type.ts';
import type { AttemptRecord } from './attempt-record.ts';
import { classifyErrno } from './error-type.ts';

const record = (fields: Partial<AttemptRecord>): AttemptRecord => ({ kind: 'connect', ...fields }) as AttemptRecord;

describe('error.type mapping', () => {
  it('maps every connect errno once', () => {
    expect(classifyErrno('ECONNREFUSED')).toEqual({ outcome: 'refused', errorType: 'connection_refused' });
    expect(classifyErrno('ETIMEDOUT')).toEqual({ outcome: 'timeout', errorType: 'timed_out' });
    expect(classifyErrno('EHOSTUNREACH')).toEqual({ outcome: 'unreachable', errorType: 'host_unreachable' });
    expect(classifyErrno('ENETUNREACH')).toEqual({ outcome: 'unreachable', errorType: 'network_unreachable' });
    expect(classifyErrno('EACCES')).toEqual({ outcome: 'unreachable', errorType: 'admin_prohibited' });
    expect(classifyErrno('ECONNRESET')).toEqual({ outcome: 'reset', errorType: 'connection_reset' });
    expect(classifyErrno('EPERM')).toEqual({ outcome: 'local_error', errorType: 'local_firewall' });
    expect(classifyErrno('EWHATEVER')).toEqual({ outcome: 'local_error', errorType: '_OTHER' });
  });

  it('gives SYN and connect attempts the same error.type for the same failure', () => {
    expect(attemptErrorType(record({ outcome: 'established' }))).toBeUndefined();
    expect(attemptErrorType(record({ kind: 'syn', outcome: 'rst' }))).toBe('connection_refused');
    expect(attemptErrorType(record({ outcome: 'refused' }))).toBe('connection_refused');
    expect(attemptErrorType(record({ kind: 'syn', outcome: 'timeout' }))).toBe('timed_out');
    expect(
      attemptErrorType(
        record({ kind: 'syn', outcome: 'icmp', icmp: { type: 3, code: 1, from: 'x', meaning: 'host_unreachable' } }),
      ),
    ).toBe('host_unreachable');
    expect(attemptErrorType(record({ outcome: 'unreachable', error: { code: 'EHOSTUNREACH', message: '' } }))).toBe(
      'host_unreachable',
    );
    expect(
      attemptErrorType(record({ outcome: 'local_error', error: { code: 'SYNACK_ERR_NO_ROUTE', message: '' } })),
    ).toBe('no_route');
    expect(
      attemptErrorType(
        record({ kind: 'syn', outcome: 'local_error', error: { code: 'SYNACK_ERR_LOCAL_FIREWALL', message: '' } }),
      ),
    ).toBe('local_firewall');
  });
});
