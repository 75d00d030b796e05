/**
 * Starts a new line before every closing brace. nft 1.0.6 (Debian 12's, and others of its age)
 * wants a newline or ";" between a rule and the "}" after it, so the one-line rulesets tests like
 * to write, `table inet t { chain c { ...; tcp dport 80 drop } }`, are a syntax error there; a
 * newline before "}" is valid in every version, also inside anonymous sets. Braces in quoted
 * strings and `#` comments are left alone.
 */
export function newlineBeforeClosingBraces(ruleset: string): string {
  let out = '';
  let inString = false;
  let inComment = false;
  for (const char of ruleset) {
    if (inComment) inComment = char !== '\n';
    else if (inString) inString = char !== '"';
    else if (char === '"') inString = true;
    else if (char === '#') inComment = true;
    else if (char === '}') out += '\n';
    out += char;
  }
  return out;
}
