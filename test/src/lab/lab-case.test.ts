import { describe, expect, it } from 'vitest';
import { parseLabCase } from './lab-case.ts';

describe('parseLabCase', () => {
  it('reads a case: commands per namespace, the listener, and the expected verdict and scope', () => {
    const parsed = parseLabCase(
      `case: listener-test
about: A test.
fault:
  listener: { families: [v4], backlog: 1 }
  run:
    - server: ip -6 route del default
  spawn:
    - router: exec sleep 100
undo:
  run:
    - server: ip -6 route add default via "$ROUTER_SERVER_V6"
expect:
  verdict: listener_family_mismatch
  scope: { families: [v6], regions: [b, a] }
`,
      'x.yaml',
    );
    expect(parsed).toEqual({
      ok: true,
      labCase: {
        file: 'x.yaml',
        name: 'listener-test',
        about: 'A test.',
        fault: {
          listener: { families: ['v4'], backlog: 1, accept: true, hold: 0 },
          run: [{ host: 'server', run: 'ip -6 route del default' }],
          spawn: [{ host: 'router', run: 'exec sleep 100' }],
          ready: [],
        },
        undo: { run: [{ host: 'server', run: 'ip -6 route add default via "$ROUTER_SERVER_V6"' }] },
        expect: {
          verdict: 'listener_family_mismatch',
          scope: { families: ['v6'], regions: ['a', 'b'] },
          evidence: [],
        },
      },
    });
  });

  it('takes "listener: none" for a service that is down, and an ok case with nothing else', () => {
    const down = parseLabCase('case: x\nfault: { listener: none }\nexpect: { verdict: port_closed }\n', 'x.yaml');
    expect(down.ok && down.labCase.fault.listener).toBeNull();
    const ok = parseLabCase('case: base\nexpect: { verdict: ok }\n', 'b.yaml');
    expect(ok.ok && ok.labCase).toMatchObject({ fault: { run: [], spawn: [] }, expect: { verdict: 'ok' } });
  });

  it('names the file, line and field of every mistake at once', () => {
    const parsed = parseLabCase(
      `case: Bad_Name
fault:
  run:
    - nowhere: true
expect:
  verdict: probably_dns
  scop: {}
`,
      'bad.yaml',
    );
    expect(parsed.ok).toBe(false);
    const messages = parsed.ok ? [] : parsed.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`);
    for (const pattern of [
      /^bad\.yaml:1 case: a case name/,
      /^bad\.yaml:4 fault\.run\[0\].*: expected one "host: command" pair/,
      /^bad\.yaml:6 expect\.verdict: .*"server_no_route_to_client"/,
      /^bad\.yaml:7 expect\.scop: unknown key "scop"/,
    ])
      expect(messages).toContainEqual(expect.stringMatching(pattern));
  });
});
