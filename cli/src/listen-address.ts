/** `host:port` or `[v6]:port` → its parts; `TypeError` naming the option otherwise. */
export function parseListen(option: string, value: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65_535)) {
    throw new TypeError(`${option}: expected host:port or [v6]:port, got "${value}"`);
  }
  return { hostname: (match[1] ?? match[2]) as string, port };
}

/**
 * The base URL to reach a collector that listens on `listen` (config `collector.listen`): a
 * wildcard address is reached on loopback.
 */
export function collectorUrl(listen: string): string {
  const { hostname, port } = parseListen('collector.listen', listen);
  const host =
    hostname === '0.0.0.0'
      ? '127.0.0.1'
      : hostname === '::'
        ? '[::1]'
        : hostname.includes(':')
          ? `[${hostname}]`
          : hostname;
  return `http://${host}:${port}`;
}
