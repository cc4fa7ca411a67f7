/**
 * One end of the loopback TCP probe, run as its own process (so the figure is two processes talking, as
 * cluster nodes do): `receive` listens, counts bytes from the first byte to the end of the stream and
 * writes {bytes, ms} as JSON to --result; `send` connects and writes 1 MiB blocks (respecting
 * back-pressure) for --seconds, then ends the stream.
 *
 *   node --import tsx bench/ops/loopback-peer.ts receive --host H --port P --result FILE
 *   node --import tsx bench/ops/loopback-peer.ts send --host H --port P --seconds S
 */
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { host: { type: 'string' }, port: { type: 'string' }, result: { type: 'string' }, seconds: { type: 'string', default: '3' } },
});
const host = values.host ?? '127.0.0.1';
const port = Number(values.port);

function receive(): void {
  const server = net.createServer((socket) => {
    let bytes = 0;
    let first = 0;
    socket.on('data', (chunk: Buffer) => {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
    });
    socket.on('end', () => {
      fs.writeFileSync(values.result ?? '/dev/stdout', JSON.stringify({ bytes, ms: performance.now() - first }));
      server.close();
      socket.destroy();
    });
  });
  server.listen(port, host);
}

async function send(): Promise<void> {
  const block = Buffer.alloc(1024 * 1024, 0x5a);
  const deadline = Date.now() + 15_000;
  // The receiver may still be starting: retry the connection for a while.
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const attempt = (): void => {
      const s = net.connect(port, host);
      s.once('connect', () => resolve(s));
      s.once('error', (err) => (Date.now() < deadline ? setTimeout(attempt, 100) : reject(err)));
    };
    attempt();
  });
  const end = performance.now() + Number(values.seconds) * 1000;
  while (performance.now() < end) {
    if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
}

if (positionals[0] === 'receive') receive();
else if (positionals[0] === 'send') await send();
else throw new Error('usage: loopback-peer.ts receive|send --host H --port P [--result FILE] [--seconds S]');
