import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { addressToBytes } from '@synack/runners/packet/ip-address-bytes';
import { encodeSynInto, type SynSpec } from '@synack/runners/packet/syn-encoder';
import { TcpReceiver } from '@synack/runners/syn/tcp-receiver';
import type RawSocketModule from 'raw-socket';
import { expandAddresses } from './paced-probes.ts';

// The floor under any SYN engine built on raw-socket: the same paced sends (one raw-socket send
// per SYN, 1 ms slots) and the same reads (TcpReceiver), but no attempt state, no matching
// beyond the SYN+ACK flags, and no records. Prints one JSON line like syn-rate.ts. IPv4 only.
const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    ports: { type: 'string', default: '10001-11000' },
    count: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '50000' },
    source: { type: 'string' },
  },
});
if (!values.target || !values.source) throw new TypeError('--target and --source are required');
const raw = createRequire(import.meta.url)('raw-socket') as typeof RawSocketModule;
const [low, high] = (values.ports as string).split('-').map(Number) as [number, number];
const addresses = expandAddresses(values.target);
const count = Number(values.count);
const rate = Number(values.rate);
const source = addressToBytes(values.source);
const targets = addresses.map((a) => ({ text: a, bytes: addressToBytes(a) }));

const cpu0 = process.cpuUsage();
const socket = raw.createSocket({ protocol: 255, addressFamily: raw.AddressFamily.IPv4 });
socket.pauseRecv();
const buffer = Buffer.alloc(65_536);
let answered = 0;
const receiver = new TcpReceiver(
  'v4',
  () => {
    for (let length = receiver.read(buffer); length > 0; length = receiver.read(buffer)) {
      if (buffer[((buffer[0] as number) & 0x0f) * 4 + 13] === 0x12) answered++;
    }
  },
  16 << 20,
);
const spec: SynSpec = {
  family: 'v4',
  source,
  destination: source,
  sourcePort: 0,
  destinationPort: 0,
  seq: 0,
  tsVal: 0,
};
const packet = Buffer.alloc(128);
const noop = () => {};
const ports = high - low + 1;
const t0 = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const target = targets[Math.floor(sent / ports) % targets.length] as (typeof targets)[number];
      spec.destination = target.bytes;
      spec.destinationPort = low + (sent % ports);
      spec.sourcePort = 32768 + (sent % 28000);
      spec.seq = (sent * 2654435761) >>> 0;
      const length = encodeSynInto(spec, packet);
      socket.wrap.send(packet, 0, length, target.text, noop);
    }
    if (sent >= count) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
const sendSeconds = (performance.now() - t0) / 1000;
const deadline = performance.now() + 2000;
while (answered < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
const cpu = process.cpuUsage(cpu0);
receiver.close();
socket.close();
process.stdout.write(
  `${JSON.stringify({
    tool: 'raw-socket-floor',
    count,
    probesPerSecond: Math.round(count / sendSeconds),
    matched: answered,
    cpuSecondsPer1000: Number((((cpu.user + cpu.system) / 1e6 / count) * 1000).toFixed(4)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
