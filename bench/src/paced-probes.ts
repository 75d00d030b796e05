import type { RetransmitPolicy } from '@synack/runners/syn/retransmit-schedule';
import type { SynEngine } from '@synack/runners/syn/syn-engine';
import type { AddressFamily } from '@synack/shared/address-family';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';

/** `192.0.2.10-109` → every address of that last-octet range; anything else → itself. */
export function expandAddresses(spec: string): string[] {
  const range = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(spec);
  if (!range) return [spec];
  const first = Number(range[2]);
  return Array.from({ length: Number(range[3]) - first + 1 }, (_, i) => `${range[1]}${first + i}`);
}

export type PacedPlan = {
  addresses: readonly string[];
  family: AddressFamily;
  ports: readonly [number, number];
  count: number;
  /** Probes per second. */
  rate: number;
  policy: RetransmitPolicy;
  /** `timer`: 1 ms slots (batches of rate/1000); `turn`: every event-loop turn (batches of 1–2). */
  pacing?: 'timer' | 'turn';
};

/**
 * Submits `count` probes at `rate`, ports varying fastest then addresses, so consecutive probes
 * are distinct flows. Resolves once all are submitted, with the time that took and a promise
 * that settles when every probe has ended.
 */
export async function runPacedProbes(
  engine: SynEngine,
  plan: PacedPlan,
  onRecord: (index: number, submittedAt: number, record: SynAttemptRecord) => void,
): Promise<{ sendSeconds: number; settled: Promise<void> }> {
  const settled = Promise.withResolvers<void>();
  let outstanding = plan.count;
  const [low, high] = plan.ports;
  const ports = high - low + 1;
  const next = plan.pacing === 'turn' ? (f: () => void) => setImmediate(f) : (f: () => void) => setTimeout(f, 1);
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    // Each slot submits what the rate allows by then, so the engine sends in batches.
    const tick = () => {
      const due = Math.min(plan.count, Math.floor(((performance.now() - t0) / 1000) * plan.rate) + 1);
      for (; sent < due; sent++) {
        const index = sent;
        const port = low + (index % ports);
        const address = plan.addresses[Math.floor(index / ports) % plan.addresses.length] as string;
        const submittedAt = performance.now();
        engine
          .probe({ target: { name: 'bench', address, port, family: plan.family }, policy: plan.policy })
          .then((record) => {
            onRecord(index, submittedAt, record);
            if (--outstanding === 0) settled.resolve();
          });
      }
      if (sent >= plan.count) resolve();
      else next(tick);
    };
    tick();
  });
  return { sendSeconds: (performance.now() - t0) / 1000, settled: settled.promise };
}
