import { type AddressInfo, createServer } from 'node:net';

// A dual-stack listener for the demo: separate IPv4 and IPv6-only sockets on one port, like a
// real server. Prints the port once both listen, then accepts and closes connections.
const v4 = createServer((s) => s.destroy());
v4.listen(0, '127.0.0.1', () => {
  const { port } = v4.address() as AddressInfo;
  const v6 = createServer((s) => s.destroy());
  v6.on('error', () => process.stdout.write(`${port}\n`));
  v6.listen({ port, host: '::1', ipv6Only: true }, () => process.stdout.write(`${port}\n`));
});
