/** A slash command's text, read. */
export type SlackCommand =
  | { command: 'probe'; target: string; regions: string[] }
  | { command: 'status' | 'diagnose' | 'slo'; target: string }
  | { command: 'help' }
  | { command: 'invalid'; message: string };

const USAGE: Record<string, string> = {
  probe: 'probe <target|host:port> [region ...]',
  status: 'status <target>',
  diagnose: 'diagnose <target>',
  slo: 'slo <target>',
};

/**
 * Reads `/synack <text>`: `probe <target|host:port> [regions]` (regions separated by spaces or
 * commas), `status|diagnose|slo <target>`, `help`. Anything else is `invalid`, with a message
 * that says what would work. Pure.
 */
export function parseSlackCommand(text: string): SlackCommand {
  // Slack turns what looks like a link into <http://x|x>: take the text as typed.
  const words = text
    .replace(/<([^>|]*)\|([^>]*)>/g, '$2')
    .replace(/<([^>]*)>/g, '$1')
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  const [verb, ...rest] = words;
  if (verb === undefined || verb.toLowerCase() === 'help') return { command: 'help' };
  const command = verb.toLowerCase();
  const usage = USAGE[command];
  if (usage === undefined) {
    return {
      command: 'invalid',
      message: `unknown command "${clip(verb)}". Try: ${Object.values(USAGE).join(', ')}, help`,
    };
  }
  const [target, ...more] = rest;
  if (target === undefined) return { command: 'invalid', message: `${command} needs a target: ${usage}` };
  if (command === 'probe') {
    const regions = more.flatMap((word) => word.split(',')).filter((region) => region.length > 0);
    const bad = regions.find((region) => !/^[a-z0-9-]{1,32}$/.test(region));
    if (bad !== undefined) return { command: 'invalid', message: `"${clip(bad)}" is not a region name: ${usage}` };
    return { command: 'probe', target, regions: [...new Set(regions)] };
  }
  if (more.length > 0) return { command: 'invalid', message: `too many arguments: ${usage}` };
  if (!/^[a-z0-9-]{1,63}$/.test(target)) {
    return { command: 'invalid', message: `"${clip(target)}" is not a target name: ${usage}` };
  }
  return { command: command as 'status' | 'diagnose' | 'slo', target };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
