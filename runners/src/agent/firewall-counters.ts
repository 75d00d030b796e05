import type { FirewallRule } from '@synack/shared/wire/agent-snapshot';
import { parseNftRuleset } from './parse-nft-ruleset.ts';
import { type RunTool, runTool } from './run-tool.ts';
import { failedSource, type SourceReading } from './source-reading.ts';

const SOURCE = 'nft -j list ruleset';

/**
 * The firewall rules of this network namespace that can decide a handshake on `ports`, with
 * their counters (`nft -j list ruleset`, which shows iptables-nft's tables too; see
 * parseNftRuleset). Needs CAP_NET_ADMIN. Without nft, or without the capability, no rules and a
 * failed status saying why; iptables-legacy rules are not read.
 */
export async function readFirewallCounters(
  ports: readonly number[],
  run: RunTool = runTool,
): Promise<SourceReading<FirewallRule[]>> {
  try {
    const result = await run('nft', ['-j', 'list', 'ruleset']);
    if (result.code !== 0) {
      const stderr = result.stderr.trim().split('\n').join('; ');
      const why = result.code === null ? 'timed out' : stderr || `exit code ${result.code}`;
      return { value: [], sources: [failedSource(SOURCE, `nft failed: ${why}`)] };
    }
    // An empty ruleset prints nothing at all on some nft versions.
    const ruleset: unknown = result.stdout.trim() === '' ? { nftables: [] } : JSON.parse(result.stdout);
    return { value: parseNftRuleset(ruleset, ports), sources: [{ source: SOURCE, ok: true }] };
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    return { value: [], sources: [failedSource(SOURCE, missing ? 'nft is not installed' : cause)] };
  }
}
