import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SourceResolver } from '@synack/runners/net/source-address';
import { percentile } from '@synack/runners/report/probe-summary';
import { SynEngine } from '@synack/runners/syn/syn-engine';
import { expandAddresses, runPacedProbes } from '../paced-probes.ts';
import { hostBusyCores, sampleHostCpu } from './host-cpu.ts';
import { type PcapCapture, readPcap } from './pcap-reader.ts';
import { ProbeLog, recordTuple } from './probe-log.ts';
import { decodeTcpFrame, TCP_ACK, TCP_SYN, type TcpFrame } from './tcp-frame.ts';
import { startCapture } from './tcpdump-capture.ts';
import { flowTuple, pairWireExchanges } from './wire-exchanges.ts';

// How far each probe's `rttUs` is from the RTT on the wire: tcpdump captures the client
// interface while the engine probes at a paced rate, then each probe's SYN and SYN-ACK are
// found in the capture by 4-tuple. Prints one JSON line. Run inside the bench client namespace
// (bench/rtt-accuracy does); needs root for raw sockets and tcpdump.
const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    ports: { type: 'string', default: '10001-11000' },
    count: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '2000' },
    pcap: { type: 'string' },
    interface: { type: 'string', default: 'bc0' },
    // `timer`: 1 ms slots as bench/src/syn-rate.ts, so the engine sends in batches. `turn`: what
    // is due at every event-loop turn (batches of one or two, a core kept busy), to show how
    // much of the error is batching.
    pacing: { type: 'string', default: 'timer' },
    // Per-probe CSV, for digging into where the error comes from.
    dump: { type: 'string' },
  },
});
if (!values.target) throw new TypeError('--target is required (an address, or an IPv4 range a.b.c.d-e)');
if (!values.pcap) throw new TypeError('--pcap is required (where tcpdump writes the capture)');
if (values.pacing !== 'timer' && values.pacing !== 'turn') throw new TypeError('--pacing is timer or turn');
const pcapPath = values.pcap;
const [low, high] = (values.ports as string).split('-').map(Number) as [number, number];
// `192.0.2.10-109`: spreading probes over addresses makes a reused 4-tuple (dropped) rarer.
const addresses = expandAddresses(values.target);
const count = Number(values.count);
const rate = Number(values.rate);
const family = values.target.includes(':') ? 'v6' : 'v4';

const capture = await startCapture({
  interface: values.interface as string,
  filter: `tcp and portrange ${low}-${high}`,
  path: pcapPath,
});

const log = new ProbeLog(count);
const engine = new SynEngine({ rawAllowed: true, sources: new SourceResolver(600_000) });
const policy = { timeoutMs: Number(values.timeout), rtoMs: 0, maxRetransmits: 0 };
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const host0 = sampleHostCpu();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { sendSeconds, settled } = await runPacedProbes(
  engine,
  { addresses, family, ports: [low, high], count, rate, policy, pacing: values.pacing },
  (index, submittedAt, record) => log.add(index, submittedAt, record),
);
await settled;
const wallSeconds = (performance.now() - t0) / 1000;
loopDelay.disable();
const hostBusy = hostBusyCores(host0, sampleHostCpu());
const selfCpu = process.cpuUsage(cpu0);

// Every probe's packets entered the capture ring before this sentinel's SYN did, so once its
// SYN-ACK is in the file, so are they.
const sentinel = await engine.probe({
  target: { name: 'sentinel', address: addresses[0] as string, port: low, family },
  policy,
});
engine.close();
let captureFlushed = false;
const sentinelTuple = recordTuple(sentinel);
if (sentinel.outcome === 'synack' && sentinelTuple) {
  // A probe may have used the sentinel's 4-tuple before: wait for one SYN-ACK more than those.
  let want = 1;
  for (let i = 0; i < count; i++) if (log.tuple(i) === sentinelTuple) want++;
  captureFlushed = await capture.fileHas((bytes) => synAcksOn(bytes, sentinelTuple) >= want, 10_000);
}
const captureStats = await capture.stop();

const pcap = readPcap(await readFile(pcapPath));
const { exchanges, ambiguous } = pairWireExchanges(tcpFrames(pcap));

// The engine may reuse a 4-tuple too (it only avoids those in flight): such probes are ambiguous.
const uses = new Map<string, number>();
for (let i = 0; i < count; i++) {
  const tuple = log.tuple(i);
  if (tuple) uses.set(tuple, (uses.get(tuple) ?? 0) + 1);
}

// performance.timeOrigin maps this process's monotonic clock onto the wall clock tcpdump stamps
// with; the mapping's constant error cancels in the RTT error, not in the one-sided lags below.
const wallNs = (ms: number) => BigInt(Math.round((performance.timeOrigin + ms) * 1000)) * 1000n;
const errors: number[] = [];
const signedErrors: number[] = [];
const rtts: number[] = [];
const wireRtts: number[] = [];
const sendLags: number[] = [];
const answerLags: number[] = [];
const dump = ['index,sent_ms,answer_ms,rtt_us,wire_rtt_us,send_lag_us,answer_lag_us'];
let matched = 0;
let droppedAmbiguous = 0;
let notInCapture = 0;
for (let i = 0; i < count; i++) {
  const answer = log.answer(i);
  const tuple = log.tuple(i);
  if (!answer || !tuple) continue;
  matched++;
  if (ambiguous.has(tuple) || (uses.get(tuple) ?? 0) > 1) {
    droppedAmbiguous++;
    continue;
  }
  const exchange = exchanges.get(tuple);
  if (!exchange || exchange.synAckNs === null) {
    notInCapture++;
    continue;
  }
  const wireUs = Number(exchange.synAckNs - exchange.synNs) / 1000;
  const sendLag = Number(wallNs(answer.sentMs) - exchange.synNs) / 1000;
  const answerLag = Number(wallNs(answer.answerMs) - exchange.synAckNs) / 1000;
  errors.push(Math.abs(answer.rttUs - wireUs));
  signedErrors.push(answer.rttUs - wireUs);
  rtts.push(answer.rttUs);
  wireRtts.push(wireUs);
  sendLags.push(sendLag);
  answerLags.push(answerLag);
  if (values.dump) {
    dump.push(
      [i, answer.sentMs.toFixed(3), answer.answerMs.toFixed(3), answer.rttUs, wireUs, sendLag, answerLag].join(','),
    );
  }
}
if (values.dump) await writeFile(values.dump, `${dump.join('\n')}\n`);
for (const list of [errors, signedErrors, rtts, wireRtts, sendLags, answerLags]) list.sort((a, b) => a - b);
const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
// p in 0..1 here; the shared nearest-rank percentile takes 0..100.
const at = (list: number[], p: number) => (list.length === 0 ? null : round(percentile(list, p * 100)));

process.stdout.write(
  `${JSON.stringify({
    family,
    rate,
    count,
    pacing: values.pacing,
    probesPerSecond: Math.round(count / sendSeconds),
    outcomes: log.outcomes,
    matched,
    compared: errors.length,
    droppedAmbiguous,
    notInCapture,
    captureDrops: captureStats.droppedByKernel,
    captureDropsByInterface: captureStats.droppedByInterface,
    captured: captureStats.captured,
    captureTruncated: pcap.truncated,
    captureFlushed,
    tsPrecision: pcap.precision,
    tsType: capture.tsType,
    errorP50Us: at(errors, 0.5),
    errorP99Us: at(errors, 0.99),
    errorMaxUs: at(errors, 1),
    rttP50Us: at(rtts, 0.5),
    rttP99Us: at(rtts, 0.99),
    wireRttP50Us: at(wireRtts, 0.5),
    wireRttP99Us: at(wireRtts, 0.99),
    // Where the error comes from. Signed error: engine minus wire. sendLag: the engine's send
    // stamp after the SYN's capture; answerLag: its answer stamp after the SYN-ACK's capture.
    signedErrorP1Us: at(signedErrors, 0.01),
    signedErrorP50Us: at(signedErrors, 0.5),
    sendLagP50Us: at(sendLags, 0.5),
    sendLagP99Us: at(sendLags, 0.99),
    answerLagP50Us: at(answerLags, 0.5),
    answerLagP99Us: at(answerLags, 0.99),
    loopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
    loopDelayMaxMs: round(loopDelay.max / 1e6),
    // Cores busy host-wide while probing, against this process's and tcpdump's: the rest is
    // other load (another bench, say), which delays the reads being timed.
    hostBusyCores: round(hostBusy),
    selfCores: round((selfCpu.user + selfCpu.system) / 1e6 / wallSeconds),
    tcpdumpCpuSeconds: captureStats.cpuSeconds,
    // Provenance: a real-time policy (chrt) shields the prober from other load; V8 flags such as
    // --max-semi-space-size change its GC pauses.
    sched: schedulingPolicy(),
    nodeOptions: [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim(),
  })}\n`,
);

// sched(7) policy of this process, from field 41 of /proc/self/stat.
function schedulingPolicy(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  return ['other', 'fifo', 'rr', 'batch', 'iso', 'idle', 'deadline'][policy] ?? String(policy);
}

function tcpFrames(capture: PcapCapture): { tsNs: bigint; frame: TcpFrame }[] {
  const frames: { tsNs: bigint; frame: TcpFrame }[] = [];
  for (const packet of capture.packets) {
    const frame = decodeTcpFrame(capture.linkType, packet.data);
    if (frame) frames.push({ tsNs: packet.tsNs, frame });
  }
  return frames;
}

function synAcksOn(bytes: Uint8Array, tuple: string): number {
  let n = 0;
  for (const { frame } of tcpFrames(readPcap(bytes))) {
    if ((frame.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) continue;
    if (flowTuple(frame.destination, frame.destinationPort, frame.source, frame.sourcePort) === tuple) n++;
  }
  return n;
}
