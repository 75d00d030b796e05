/** `host:port` or `[v6]:port` → its parts; `TypeError` naming the option otherwise. */
export function parseListen(option: string, value: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65_535)) {
    throw new TypeError(`${option}: expected host:port or [v6]:port, got "${value}"`);
  }
  return { hostname: (match[1] ?? match[2]) as string, port };
}
