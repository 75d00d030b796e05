import { describe, expect, it } from 'vitest';
import { newlineBeforeClosingBraces } from './nft-ruleset.ts';

describe('newlineBeforeClosingBraces', () => {
  it('puts each closing brace on its own line', () => {
    expect(newlineBeforeClosingBraces('table inet t { chain c { tcp dport { 80, 443 } drop } }')).toBe(
      'table inet t { chain c { tcp dport { 80, 443 \n} drop \n} \n}',
    );
  });

  it('leaves braces in strings and comments alone', () => {
    expect(newlineBeforeClosingBraces('drop comment "a }" # b }\n}')).toBe('drop comment "a }" # b }\n\n}');
  });
});
