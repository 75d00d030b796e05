import type { Diagnosis } from '@synack/shared/verdict';

const MAX_FACTS = 4;
const MAX_LENGTH = 400;

/**
 * A diagnosis in one line for a span attribute: scope, then the first facts of its evidence
 * (`source: fact = value`), bounded in length. Pure.
 */
export function summarizeDiagnosis(diagnosis: Diagnosis): string {
  const scope = [diagnosis.scope.families.join('+'), diagnosis.scope.regions.join(',')].filter(Boolean).join(' from ');
  const facts = diagnosis.evidence.slice(0, MAX_FACTS).map((e) => `${e.source}: ${e.fact} = ${String(e.value)}`);
  const more = diagnosis.evidence.length > MAX_FACTS ? `; +${diagnosis.evidence.length - MAX_FACTS} more` : '';
  const text = `${diagnosis.verdict}${scope ? ` (${scope})` : ''}: ${facts.join('; ')}${more}`;
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}
