/** One benchmark run, printed as a JSON line; the same shape for both tools so tables can pair them. */
export type RateReport = {
  tool: string;
  count: number;
  concurrency: number;
  /** Completed handshakes: `established` records, or `probe_success 1` answers. */
  established: number;
  /** Every other result, by name, so a run that did not really connect is visible. */
  outcomes: Record<string, number>;
  wallSeconds: number;
  /** CPU (user + system) of the prober only. */
  cpuSeconds: number;
  /** Its kernel share: connect(), bind()'s port search and close() show up here. */
  systemCpuSeconds: number;
  probesPerCpuSecond: number;
  probesPerSecond: number;
  peakRssMiB: number;
};

type Measured = Omit<RateReport, 'probesPerCpuSecond' | 'probesPerSecond'>;

/** Fills in the derived rates and rounds, so both drivers report identically. */
export function rateReport(measured: Measured): RateReport {
  return {
    ...measured,
    wallSeconds: Number(measured.wallSeconds.toFixed(3)),
    cpuSeconds: Number(measured.cpuSeconds.toFixed(3)),
    systemCpuSeconds: Number(measured.systemCpuSeconds.toFixed(3)),
    probesPerCpuSecond: measured.cpuSeconds > 0 ? Math.round(measured.count / measured.cpuSeconds) : 0,
    probesPerSecond: Math.round(measured.count / measured.wallSeconds),
  };
}
