import type { ConfigIssue } from '@synack/shared/config/parse-config';
import { parseYamlWith } from '@synack/shared/config/parse-yaml-with';
import { Verdict } from '@synack/shared/verdict';
import { z } from 'zod';
import type { RegionHost } from './region-lab.ts';

/** A shell command to run in one of the lab's namespaces. */
export type LabCommand = { host: RegionHost; run: string };

/** The service the lab's server runs while a case holds: `null` for none (nothing listens). */
export type LabListener = {
  families: readonly ('v4' | 'v6')[];
  backlog: number;
  accept: boolean;
  /** Connections the server opens to itself and holds, per family (to fill an accept queue). */
  hold: number;
} | null;

/** One failure case of the lab: how to inject it, how to undo it, and what synack must say. */
export type LabCase = {
  file: string;
  name: string;
  about: string;
  fault: {
    /** Replaces the lab's service while the fault holds; absent: the default service stays. */
    listener?: LabListener;
    run: readonly LabCommand[];
    /** Long-running helpers, stopped at undo. */
    spawn: readonly LabCommand[];
    /** Polled after injection until each exits 0 (at most 20 s): the fault holds. */
    ready: readonly LabCommand[];
  };
  undo: { run: readonly LabCommand[] };
  expect: {
    verdict: Verdict;
    scope: { families: ('v4' | 'v6')[]; regions: string[] };
    /** Text each of which must appear in the diagnosis's evidence (`source fact value` lines). */
    evidence: string[];
  };
};

/** The service the lab runs when a case does not replace it: dual-stack, backlog 128, accepting. */
export const DEFAULT_LISTENER: NonNullable<LabListener> = {
  families: ['v4', 'v6'],
  backlog: 128,
  accept: true,
  hold: 0,
};

const HOSTS = ['a', 'b', 'router', 'server'] as const;
const command = z
  .partialRecord(z.enum(HOSTS), z.string().min(1).max(4000))
  .refine(
    (c) => Object.keys(c).length === 1,
    'expected one "host: command" pair, e.g. "server: ip -6 route del default"',
  )
  .transform((c) => {
    const [[host, run]] = Object.entries(c) as [[RegionHost, string]];
    return { host, run };
  });
const commands = z.array(command).max(50).default([]);
const family = z.enum(['v4', 'v6']);
const verdicts = Object.values(Verdict) as [Verdict, ...Verdict[]];

const schema = z.strictObject({
  case: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a case name: 1..63 characters of a-z, 0-9 and "-"'),
  about: z.string().max(2000).default(''),
  fault: z
    .strictObject({
      listener: z
        .union([
          z.literal('none'),
          z.strictObject({
            families: z.array(family).min(1).max(2).default(['v4', 'v6']),
            backlog: z.number().int().min(0).max(65_535).default(128),
            accept: z.boolean().default(true),
            hold: z.number().int().min(0).max(1000).default(0),
          }),
        ])
        .optional(),
      run: commands,
      spawn: commands,
      ready: commands,
    })
    .default({ run: [], spawn: [], ready: [] }),
  undo: z.strictObject({ run: commands }).default({ run: [] }),
  expect: z.strictObject({
    verdict: z.enum(verdicts),
    scope: z
      .strictObject({
        families: z.array(family).max(2).default([]),
        regions: z
          .array(z.enum(['a', 'b']))
          .max(2)
          .default([]),
      })
      .default({ families: [], regions: [] }),
    evidence: z.array(z.string().min(1).max(200)).max(20).default([]),
  }),
});

/**
 * Reads one lab case file (YAML). Pure. Every issue comes at once, with the file, line and field.
 * The format is documented in infra/lab/README.md.
 */
export function parseLabCase(
  text: string,
  file: string,
): { ok: true; labCase: LabCase } | { ok: false; issues: ConfigIssue[] } {
  const parsed = parseYamlWith(text, file, schema);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  const listener = v.fault.listener;
  return {
    ok: true,
    labCase: {
      file,
      name: v.case,
      about: v.about.trim(),
      fault: {
        ...(listener === undefined ? {} : { listener: listener === 'none' ? null : listener }),
        run: v.fault.run,
        spawn: v.fault.spawn,
        ready: v.fault.ready,
      },
      undo: { run: v.undo.run },
      expect: {
        verdict: v.expect.verdict,
        scope: {
          families: [...new Set(v.expect.scope.families)].sort(),
          regions: [...new Set(v.expect.scope.regions)].sort(),
        },
        evidence: v.expect.evidence,
      },
    },
  };
}
