/** `192.0.2.1:443` or `[2001:db8::1]:443`: an address (or name) and port as people write them. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
