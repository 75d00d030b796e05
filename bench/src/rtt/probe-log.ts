import { canonicalAddress } from '@synack/runners/packet/ip-address-bytes';
import type { SynAttemptRecord } from '@synack/shared/attempt-record';
import { flowTuple } from './wire-exchanges.ts';

/**
 * What RTT accuracy needs of each probe, in columns indexed by probe number. Keeping tens of
 * thousands of record objects alive instead would make every young-generation GC copy them, and
 * those pauses (5–10 ms at 20,000 probes/s) would land in the very read delays being measured.
 */
export class ProbeLog {
  readonly size: number;
  readonly outcomes: Record<string, number> = {};
  /** performance.now() (ms) just before probe(), which takes its own origin synchronously first. */
  private readonly origin: Float64Array;
  private readonly sentUs: Float64Array;
  private readonly answerUs: Float64Array;
  private readonly rttUs: Float64Array;
  private readonly sourcePort: Uint16Array;
  private readonly targetPort: Uint16Array;
  private readonly sourceAddress: string[];
  private readonly targetAddress: string[];

  constructor(size: number) {
    this.size = size;
    this.origin = new Float64Array(size);
    this.sentUs = new Float64Array(size).fill(Number.NaN);
    this.answerUs = new Float64Array(size).fill(Number.NaN);
    this.rttUs = new Float64Array(size).fill(Number.NaN);
    this.sourcePort = new Uint16Array(size);
    this.targetPort = new Uint16Array(size);
    this.sourceAddress = new Array<string>(size).fill('');
    this.targetAddress = new Array<string>(size).fill('');
  }

  add(index: number, origin: number, record: SynAttemptRecord): void {
    this.outcomes[record.outcome] = (this.outcomes[record.outcome] ?? 0) + 1;
    this.origin[index] = origin;
    this.targetPort[index] = record.target.port;
    this.targetAddress[index] = canonicalAddress(record.target.address);
    if (record.source) {
      this.sourcePort[index] = record.source.port;
      this.sourceAddress[index] = canonicalAddress(record.source.address);
    }
    const sent = record.synSentUs[0];
    if (record.outcome === 'synack' && sent !== undefined && record.answerUs !== null && record.rttUs !== null) {
      this.sentUs[index] = sent;
      this.answerUs[index] = record.answerUs;
      this.rttUs[index] = record.rttUs;
    }
  }

  /** `flowTuple` of the probe's client and target ends; `null` when it had no source. */
  tuple(index: number): string | null {
    const port = this.sourcePort[index];
    if (!port) return null;
    return flowTuple(
      this.sourceAddress[index] as string,
      port,
      this.targetAddress[index] as string,
      this.targetPort[index] as number,
    );
  }

  /** Send and answer times on this process's performance.now() clock (ms), and `rttUs`; `null` if unanswered. */
  answer(index: number): { sentMs: number; answerMs: number; rttUs: number } | null {
    const rttUs = this.rttUs[index] as number;
    if (Number.isNaN(rttUs)) return null;
    const origin = this.origin[index] as number;
    return {
      sentMs: origin + (this.sentUs[index] as number) / 1000,
      answerMs: origin + (this.answerUs[index] as number) / 1000,
      rttUs,
    };
  }
}

/** `flowTuple` of one record's client and target ends; `null` when it had no source. */
export function recordTuple(record: SynAttemptRecord): string | null {
  if (!record.source) return null;
  return flowTuple(
    canonicalAddress(record.source.address),
    record.source.port,
    canonicalAddress(record.target.address),
    record.target.port,
  );
}
