import { type AddressInfo, createServer } from 'node:net';
import { SourceResolver } from '@synack/runners/net/source-address';
import { SynEngine } from '@synack/runners/syn/syn-engine';

// Runs in its own process, where nothing else wakes the event loop: prints, per attempt, how
// long after its answer the probe() promise settled. Used by syn-engine-loopback.netns.test.ts.
// argv[2] is the loopback address, which picks the family (and so the receive path).
const address = process.argv[2] ?? '127.0.0.1';
const family = address.includes(':') ? 'v6' : 'v4';
const server = createServer((s) => s.destroy());
await new Promise<void>((resolve) => server.listen(0, address, resolve));
const port = (server.address() as AddressInfo).port;
const engine = new SynEngine({ rawAllowed: true, sources: new SourceResolver(60_000) });
const lags: number[] = [];
for (let i = 0; i < 10; i++) {
  const origin = performance.now();
  const record = await engine.probe({
    target: { name: 'l', address, port, family },
    policy: { timeoutMs: 2000, rtoMs: 0, maxRetransmits: 0 },
  });
  // An attempt that got no answer counts as lagging its whole duration (and says why on stderr).
  if (record.outcome !== 'synack') process.stderr.write(`${JSON.stringify(record)}\n`);
  lags.push(Math.round(performance.now() - origin - (record.answerUs ?? 0) / 1000));
}
engine.close();
server.close();
process.stdout.write(`${JSON.stringify(lags)}\n`);
