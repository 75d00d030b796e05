import type { Diagnosis } from '@synack/shared/verdict';
import { describe, expect, it } from 'vitest';
import { nextDiagnosisState } from './diagnosis-state.ts';

const verdict = (v: Diagnosis['verdict']): Diagnosis => ({
  verdict: v,
  scope: { families: ['v6'], regions: ['a', 'b'] },
  evidence: [],
  next: 'x',
});

describe('nextDiagnosisState', () => {
  it('opens on a failure, updates while it lasts, resolves on ok', () => {
    const opened = nextDiagnosisState('web', null, verdict('unknown'), 1000);
    expect(opened).toMatchObject({
      id: 'web-1000',
      status: 'open',
      verdict: 'unknown',
      openedAtMs: 1000,
      resolvedAtMs: null,
    });
    const sharpened = nextDiagnosisState('web', opened, verdict('server_no_route_to_client'), 3000);
    expect(sharpened).toMatchObject({
      id: 'web-1000',
      status: 'open',
      verdict: 'server_no_route_to_client',
      openedAtMs: 1000,
      updatedAtMs: 3000,
    });
    const resolved = nextDiagnosisState('web', sharpened, verdict('ok'), 9000);
    expect(resolved).toMatchObject({
      id: 'web-1000',
      status: 'resolved',
      verdict: 'server_no_route_to_client',
      resolvedAtMs: 9000,
    });
  });

  it('widens the scope of the same verdict, and takes a new verdict’s own', () => {
    const at = (v: Diagnosis['verdict'], families: ('v4' | 'v6')[], regions: string[]): Diagnosis => ({
      ...verdict(v),
      scope: { families, regions },
    });
    const a = nextDiagnosisState('web', null, at('syn_queue_overflow', ['v4'], ['a']), 1000);
    const b = nextDiagnosisState('web', a, at('syn_queue_overflow', ['v6'], ['b']), 2000);
    expect(b?.scope).toEqual({ families: ['v4', 'v6'], regions: ['a', 'b'] });
    const other = nextDiagnosisState('web', b, at('accept_queue_overflow', ['v6'], ['b']), 3000);
    expect(other?.scope).toEqual({ families: ['v6'], regions: ['b'] });
  });

  it('keeps a named cause when a round no longer decides, until ok resolves it', () => {
    const named = nextDiagnosisState(
      'web',
      null,
      {
        verdict: 'server_no_route_to_client',
        scope: { families: ['v6'], regions: ['a', 'b'] },
        evidence: [],
        next: 'x',
      },
      1000,
    );
    const blurred = nextDiagnosisState(
      'web',
      named,
      { verdict: 'unknown', scope: { families: ['v6'], regions: ['b'] }, evidence: [], next: 'y' },
      2000,
    );
    expect(blurred).toMatchObject({
      verdict: 'server_no_route_to_client',
      scope: { regions: ['a', 'b'] },
      updatedAtMs: 2000,
    });
    expect(
      nextDiagnosisState(
        'web',
        blurred,
        { verdict: 'ok', scope: { families: [], regions: [] }, evidence: [], next: '' },
        3000,
      ),
    ).toMatchObject({
      verdict: 'server_no_route_to_client',
      status: 'resolved',
    });
  });

  it('changes nothing on ok with nothing open, and opens anew after a resolution', () => {
    expect(nextDiagnosisState('web', null, verdict('ok'), 1)).toBeNull();
    const resolved = nextDiagnosisState(
      'web',
      nextDiagnosisState('web', null, verdict('port_closed'), 1),
      verdict('ok'),
      2,
    );
    expect(nextDiagnosisState('web', resolved, verdict('ok'), 3)).toBeNull();
    expect(nextDiagnosisState('web', resolved, verdict('port_closed'), 4)).toMatchObject({
      id: 'web-4',
      status: 'open',
    });
  });
});
