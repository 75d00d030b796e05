import { readFileSync } from 'node:fs';
import { formatConfigIssue, parseConfig } from '@synack/shared/config/parse-config';
import { describe, expect, it } from 'vitest';
import { asObject, INFRA, readYamlDocuments } from './infra-checks.ts';

// The synack configs that infra/ ships (compose's files, the Kubernetes ConfigMaps) are valid for
// synack's own parser, every issue listed with its line.

function configs(): { name: string; text: string }[] {
  const out = ['synack.yaml', 'runner.yaml'].map((name) => ({
    name: `compose/${name}`,
    text: readFileSync(`${INFRA}compose/${name}`, 'utf8'),
  }));
  for (const doc of readYamlDocuments(`${INFRA}k8s/config.yaml`)) {
    const map = asObject(doc, 'ConfigMap');
    for (const [key, text] of Object.entries(asObject(map.data, 'data')))
      out.push({ name: `k8s ${String(asObject(map.metadata, 'metadata').name)} ${key}`, text: String(text) });
  }
  return out;
}

describe('the configs in infra/', () => {
  it('has the compose and Kubernetes configs', () => {
    expect(configs()).toHaveLength(4);
  });

  for (const { name, text } of configs()) {
    it(`parses ${name}`, () => {
      const result = parseConfig(text, name, {});
      expect(result.ok ? [] : result.issues.map(formatConfigIssue)).toEqual([]);
    });
  }
});
