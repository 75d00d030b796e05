import type { Logger } from '@synack/shared/logger';
import type { AgentRequestSigner } from '@synack/shared/wire/agent-request-signature';
import type { AgentSnapshot } from '@synack/shared/wire/agent-snapshot';

/** What the collector tells an agent to watch (the ports of its targets, the runners' addresses). */
export type AgentWatch = { ports: number[]; runners: { address: string; family: 'v4' | 'v6'; regions: string[] }[] };

export type AgentServiceOptions = {
  /** Collector API base URL, e.g. http://10.0.0.5:8470. */
  collectorUrl: string;
  /** Signs each request with the agent's private key (`createAgentRequestSigner`). */
  signer: AgentRequestSigner;
  /** Takes one snapshot of this host for the given watch list. Never throws for a missing source. */
  take: (trigger: AgentSnapshot['trigger'], watch: AgentWatch) => Promise<AgentSnapshot>;
  intervalMs: number;
  /** Snapshots kept while the collector is away; the oldest go first. */
  bufferSize: number;
  logger: Logger;
  fetch?: typeof fetch;
};

/**
 * The host agent's loop: a snapshot every `intervalMs`, and one at once whenever the collector
 * asks (a long poll), each request signed with the agent's own key. While the collector is away they
 * wait in a bounded buffer and go out in order when it is back. The watch list comes back with
 * every answer, so the agent follows the live runners without a restart.
 */
export class AgentService {
  readonly stats = { taken: 0, sent: 0, dropped: 0, sendErrors: 0, requested: 0 };
  private readonly options: AgentServiceOptions;
  private readonly fetch: typeof fetch;
  private buffer: AgentSnapshot[] = [];
  private watch: AgentWatch = { ports: [], runners: [] };
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private flushing: Promise<void> | undefined;
  private polling: Promise<void> | undefined;

  constructor(options: AgentServiceOptions) {
    this.options = options;
    this.fetch = options.fetch ?? fetch;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  start(): void {
    void this.snapshot('periodic');
    this.timer = setInterval(() => void this.snapshot('periodic'), this.options.intervalMs);
    this.polling = this.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.polling;
    await this.flushing;
  }

  /** Takes a snapshot now and sends what is buffered. */
  async snapshot(trigger: AgentSnapshot['trigger']): Promise<void> {
    try {
      const snapshot = await this.options.take(trigger, this.watch);
      this.stats.taken++;
      this.buffer.push(snapshot);
      if (this.buffer.length > this.options.bufferSize) {
        const over = this.buffer.length - this.options.bufferSize;
        this.buffer.splice(0, over);
        this.stats.dropped += over;
      }
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'snapshot failed');
    }
    await this.flush();
  }

  private flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopping.signal.aborted) {
      const snapshot = this.buffer[0] as AgentSnapshot;
      try {
        const response = await this.request('/v1/agent/snapshots', { method: 'POST', body: JSON.stringify(snapshot) });
        if (response.status === 400 || response.status === 413) {
          // The collector will never take this one: drop it rather than block the others.
          this.buffer.shift();
          this.stats.dropped++;
          this.options.logger.error(
            { status: response.status, body: await response.text() },
            'collector refused a snapshot',
          );
          continue;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.watch = ((await response.json()) as { watch: AgentWatch }).watch;
        this.buffer.shift();
        this.stats.sent++;
      } catch (error) {
        this.stats.sendErrors++;
        this.options.logger.warn(
          { err: (error as Error).message, buffered: this.buffer.length },
          'collector unreachable; keeping snapshots',
        );
        return; // The next snapshot retries; the buffer keeps them meanwhile.
      }
    }
  }

  private async poll(): Promise<void> {
    let backoffMs = 500;
    while (!this.stopping.signal.aborted) {
      try {
        const response = await this.request('/v1/agent/wait?timeoutMs=25000', { method: 'GET' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = (await response.json()) as { snapshotWanted: boolean; watch: AgentWatch };
        this.watch = body.watch;
        backoffMs = 500;
        if (body.snapshotWanted) {
          this.stats.requested++;
          await this.snapshot('requested');
        }
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.options.logger.debug({ err: (error as Error).message }, 'wait for requests failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  private request(path: string, init: { method: 'GET' } | { method: 'POST'; body: string }): Promise<Response> {
    const url = new URL(`${this.options.collectorUrl.replace(/\/+$/, '')}${path}`);
    const body = init.method === 'POST' ? new TextEncoder().encode(init.body) : new Uint8Array(0);
    // Signed as sent: the collector hashes the very bytes it receives, and checks the path it sees.
    const signature = this.options.signer.headers({
      method: init.method,
      pathWithQuery: `${url.pathname}${url.search}`,
      body,
    });
    return this.fetch(url, {
      method: init.method,
      ...(init.method === 'POST' ? { body } : {}),
      headers: { ...signature, 'content-type': 'application/json' },
      signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(35_000)]),
    });
  }
}
