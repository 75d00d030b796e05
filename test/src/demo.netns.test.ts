import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireLabOrSkip } from './lab/lab-availability.ts';

// `npm run demo` must keep telling its story: run it whole and read what it printed.
describe.skipIf(requireLabOrSkip())('npm run demo (needs root)', () => {
  it('names the missing IPv6 default route with its evidence, then sees it resolve', async () => {
    const demo = fileURLToPath(new URL('./demo/no-route-demo.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [demo], { timeout: 150_000 });
    expect(stdout, stdout).toMatch(/^web: server_no_route_to_client {2}\(IPv6; regions a, b\) {2}open since/m);
    expect(stdout, stdout).toMatch(/route get 2001:db8:a::2 \(a\) +unreachable: Network is unreachable/);
    expect(stdout, stdout).toMatch(/Ip6OutNoRoutes +[1-9]/);
    expect(stdout, stdout).toMatch(/TcpExtListenOverflows +0$/m);
    expect(stdout, stdout).toMatch(/^web: server_no_route_to_client {2}\(IPv6; regions a, b\) {2}resolved at/m);
  }, 160_000);
});
