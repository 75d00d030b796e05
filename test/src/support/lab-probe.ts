import type { AttemptRecord } from '@synack/shared/attempt-record';
import type { Lab } from '../lab/netns-lab.ts';
import { parseRecords, synackArgv } from './synack-cli.ts';

export type LabProbeResult = { code: number | null; records: AttemptRecord[]; stderr: string };

/** Runs `synack <command> <target> --json ...` in the client namespace and parses its records. */
export async function labSynack(
  lab: Lab,
  command: 'probe' | 'trace',
  target: string,
  ...args: string[]
): Promise<LabProbeResult> {
  const result = await lab.exec('client', synackArgv(command, target, '--json', ...args), { timeoutMs: 30_000 });
  return { code: result.code, records: parseRecords(result.stdout), stderr: result.stderr };
}

/** Both families of the lab server at once: `[v4 result, v6 result]`. */
export function probeBothFamilies(
  lab: Lab,
  port: number,
  ...args: string[]
): Promise<[LabProbeResult, LabProbeResult]> {
  const { v4, v6 } = lab.addresses.server;
  return Promise.all([
    labSynack(lab, 'probe', `${v4}:${port}`, '--count', '1', ...args),
    labSynack(lab, 'probe', `[${v6}]:${port}`, '--count', '1', ...args),
  ]);
}

/** One counter from /proc/net/{snmp,snmp6,netstat} of a lab host, by its nstat name. */
export async function labCounter(lab: Lab, host: 'client' | 'router' | 'server', name: string): Promise<number> {
  const { stdout } = await lab.run(host, ['cat', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/snmp6']);
  const lines = stdout.split('\n');
  for (const line of lines) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === name) return Number(value);
  }
  // snmp/netstat: a header line of names followed by a line of values, e.g. "TcpExt: ..."
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = (lines[i] as string).split(/\s+/);
    const values = (lines[i + 1] as string).split(/\s+/);
    if (names[0] !== values[0]) continue;
    const prefix = (names[0] as string).replace(/:$/, '');
    const index = names.findIndex((n) => `${prefix}${n}` === name);
    if (index > 0) return Number(values[index]);
  }
  throw new Error(`counter ${name} not found on ${host}`);
}
