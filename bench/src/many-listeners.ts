import { createServer } from 'node:net';

// The bench server: listeners on every port of a range, IPv4 and IPv6-only, accepting and
// closing at once. Prints `listening` when all are up.
const [first, last] = process.argv.slice(2).map(Number) as [number, number];
if (!(first > 0 && last >= first)) throw new TypeError('usage: many-listeners.ts FIRST_PORT LAST_PORT');
let up = 0;
const total = (last - first + 1) * 2;
for (let port = first; port <= last; port++) {
  for (const host of ['0.0.0.0', '::']) {
    const server = createServer((socket) => socket.destroy());
    server.listen({ port, host, ipv6Only: host === '::', backlog: 65535 }, () => {
      up++;
      if (up === total) process.stdout.write('listening\n');
    });
  }
}
