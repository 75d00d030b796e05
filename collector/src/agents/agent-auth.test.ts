import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authenticateAgent } from './agent-auth.ts';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const agents = [
  { id: 'srv-1', tokenSha256: sha('token-of-server-one'), targets: ['web'] },
  { id: 'srv-2', tokenSha256: sha('token-of-server-two'), targets: ['db'] },
];

describe('authenticateAgent', () => {
  it('finds the agent of a valid bearer token', () => {
    expect(authenticateAgent(agents, 'Bearer token-of-server-two')?.id).toBe('srv-2');
  });

  it('refuses wrong, short, missing or malformed credentials', () => {
    for (const header of [
      undefined,
      '',
      'Bearer nope',
      'Bearer token-of-server-three',
      'Basic token-of-server-one',
      'token-of-server-one',
      `Bearer ${'x'.repeat(600)}`,
    ]) {
      expect(authenticateAgent(agents, header)).toBeNull();
    }
  });
});
