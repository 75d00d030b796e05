// A minimal dual-stack TCP server for the netns lab: one IPv4 socket on 0.0.0.0 and one
// IPv6-only socket on ::, like a real server, that accepts connections and closes them at once.
// Prints "listening" only when every requested socket is bound and listening; Lab.listen() waits
// for that line.
//
//   node tcp-listener.ts --port 8080 [--families v4,v6] [--backlog 511]
import { createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    families: { type: 'string', default: 'v4,v6' },
    backlog: { type: 'string', default: '511' },
  },
});

function fail(message: string): never {
  process.stderr.write(`tcp-listener: ${message}\n`);
  process.exit(1);
}

const port = Number(values.port);
const backlog = Number(values.backlog);
// Port 0 is refused: the two sockets would get different ephemeral ports.
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be 1..65535, got ${values.port}`);
if (!Number.isInteger(backlog) || backlog < 0) fail(`--backlog must be a non-negative integer, got ${values.backlog}`);

const BIND = {
  v4: { host: '0.0.0.0', ipv6Only: false },
  v6: { host: '::', ipv6Only: true },
} as const;
const families = values.families.split(',').map((family) => family.trim());

function listen(family: string): Promise<Server> {
  if (family !== 'v4' && family !== 'v6') fail(`unknown family "${family}" (use v4, v6)`);
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, backlog, ...BIND[family] }, () => {
      server.off('error', reject);
      server.on('error', (error) => fail(`${family} socket: ${error.message}`));
      resolve(server);
    });
  });
}

try {
  const servers = await Promise.all(families.map(listen));
  process.once('SIGTERM', () => {
    for (const server of servers) server.close();
    process.exit(0);
  });
  process.stdout.write('listening\n');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
