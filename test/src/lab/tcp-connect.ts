// Opens one TCP connection and reports how it went, for lab tests run in the client namespace.
// Prints exactly one line: CONNECTED, TIMEOUT (nothing came back within the timeout, e.g. SYNs
// dropped), or ERROR <code> (e.g. ERROR ECONNREFUSED for a RST, EHOSTUNREACH for ICMP).
// Exit status: 0 connected, 2 timeout, 1 error.
//
//   node tcp-connect.ts <address> <port> [timeoutMs=1500]
import { connect } from 'node:net';

const [host = '', portText = '', timeoutText = '1500'] = process.argv.slice(2);
const socket = connect({ host, port: Number(portText) });

function report(line: string, exitCode: number): void {
  clearTimeout(timer);
  socket.destroy();
  process.stdout.write(`${line}\n`);
  process.exitCode = exitCode;
}

const timer = setTimeout(() => report('TIMEOUT', 2), Number(timeoutText));
socket.once('connect', () => report('CONNECTED', 0));
socket.once('error', (error: NodeJS.ErrnoException) => report(`ERROR ${error.code ?? error.message}`, 1));
