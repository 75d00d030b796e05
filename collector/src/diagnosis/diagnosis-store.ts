import type { Cluster, Redis } from 'ioredis';
import type { DiagnosisRecord } from './diagnosis-state.ts';

const LOG_LENGTH = 50;

/**
 * Diagnoses in Redis: the current one per target (open, or the last resolved), the set of open
 * ones, and a bounded log per target of every change, so any collector serves the same answer.
 */
export class DiagnosisStore {
  private readonly redis: Redis | Cluster;
  private readonly prefix: () => string;

  constructor(redis: Redis | Cluster, prefix: () => string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async current(target: string): Promise<DiagnosisRecord | null> {
    const text = await this.redis.hget(`${this.prefix()}:diag`, target);
    return text ? (JSON.parse(text) as DiagnosisRecord) : null;
  }

  async all(): Promise<DiagnosisRecord[]> {
    const all = await this.redis.hgetall(`${this.prefix()}:diag`);
    return Object.values(all)
      .map((text) => JSON.parse(text) as DiagnosisRecord)
      .sort((a, b) => (a.target < b.target ? -1 : 1));
  }

  async openTargets(): Promise<string[]> {
    return this.redis.smembers(`${this.prefix()}:diag-open`);
  }

  async log(target: string, limit = LOG_LENGTH): Promise<DiagnosisRecord[]> {
    const items = await this.redis.lrange(`${this.prefix()}:diag-log:${target}`, 0, limit - 1);
    return items.map((text) => JSON.parse(text) as DiagnosisRecord);
  }

  async save(record: DiagnosisRecord): Promise<void> {
    const p = this.prefix();
    const text = JSON.stringify(record);
    const tx = this.redis.multi().hset(`${p}:diag`, record.target, text);
    if (record.status === 'open') tx.sadd(`${p}:diag-open`, record.target);
    else tx.srem(`${p}:diag-open`, record.target);
    tx.lpush(`${p}:diag-log:${record.target}`, text).ltrim(`${p}:diag-log:${record.target}`, 0, LOG_LENGTH - 1);
    await tx.exec();
  }
}
