import { z } from 'zod';
import { ATTEMPT_RECORD_VERSION, type AttemptRecord } from '../attempt-record.ts';
import { IcmpMeaning } from '../icmp-meaning.ts';
import { ConnectOutcome, SynOutcome } from '../probe-outcome.ts';

const us = z.number().int().nonnegative();

const base = {
  v: z.literal(ATTEMPT_RECORD_VERSION),
  id: z.string().min(1).max(64),
  target: z.object({
    name: z.string().min(1).max(253),
    address: z.string().min(2).max(45),
    port: z.number().int().min(1).max(65_535),
    family: z.enum(['v4', 'v6']),
  }),
  source: z.object({ address: z.string().min(2).max(45), port: z.number().int().min(0).max(65_535) }).nullable(),
  startedAt: z.iso.datetime(),
  synSentUs: z.array(us).max(64),
  answerUs: us.nullable(),
  rttUs: us.nullable(),
  retransmits: z.number().int().min(0).max(64),
  sentTtl: z.number().int().min(1).max(255).optional(),
  icmp: z
    .object({
      type: z.number().int().min(0).max(255),
      code: z.number().int().min(0).max(255),
      from: z.string().min(2).max(45),
      meaning: z.enum(Object.values(IcmpMeaning) as [IcmpMeaning, ...IcmpMeaning[]]),
    })
    .optional(),
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(1000) }).optional(),
};

/**
 * The attempt record (shared/src/attempt-record.ts) as a schema, for records that crossed a
 * process boundary: the collector checks every one before it counts it.
 */
export const attemptRecordSchema: z.ZodType<AttemptRecord> = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal('syn'),
    outcome: z.enum(Object.values(SynOutcome) as [SynOutcome, ...SynOutcome[]]),
    answeredSyn: z.number().int().min(0).max(64).nullable(),
    synack: z
      .object({
        window: z.number().int().min(0).max(65_535),
        ttl: z.number().int().min(0).max(255).nullable(),
        mss: z.number().int().min(0).max(65_535).nullable(),
        windowScale: z.number().int().min(0).max(255).nullable(),
        sackPermitted: z.boolean(),
        timestamps: z.boolean(),
      })
      .optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('connect'),
    outcome: z.enum(Object.values(ConnectOutcome) as [ConnectOutcome, ...ConnectOutcome[]]),
  }),
]) as z.ZodType<AttemptRecord>;
