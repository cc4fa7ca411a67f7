/**
 * The ceiling of the S3 benchmark: a node:http server on loopback that does the least an object store
 * must do with the bytes. PUT drains the body and remembers only the size per path; GET sends that many
 * bytes (from one preallocated buffer, honouring backpressure); anything else is 404/405. No auth, no
 * hashing, no disk. It runs as its own process (see `main` below), so its CPU and RSS are measured the
 * same way as the real servers' and it does not share an event loop with the load generator.
 *
 *   node --import tsx bench/s3/bare-http-server.ts --host 127.0.0.41 --port 9080
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export interface BareHttpServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Size of the buffer GET responses are cut from. */
  chunkBytes?: number;
}

export function resolveBareHttpServerOptions(options: BareHttpServerOptions = {}): Required<BareHttpServerOptions> {
  return { host: options.host ?? '127.0.0.1', port: options.port ?? 0, chunkBytes: options.chunkBytes ?? 1024 * 1024 };
}

export interface BareHttpServer {
  url: string;
  /** Bytes received in PUT bodies and sent in GET bodies since start. */
  stats(): { receivedBytes: number; sentBytes: number };
  close(): Promise<void>;
}

export async function startBareHttpServer(options: BareHttpServerOptions = {}): Promise<BareHttpServer> {
  const opts = resolveBareHttpServerOptions(options);
  const chunk = Buffer.alloc(opts.chunkBytes, 0x61);
  const sizes = new Map<string, number>();
  let receivedBytes = 0;
  let sentBytes = 0;

  const sendBytes = (res: http.ServerResponse, size: number): void => {
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    let left = size;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        sentBytes += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'PUT') {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () => {
        receivedBytes += size;
        sizes.set(path, size);
        res.writeHead(200, { etag: '"bare"', 'content-length': 0 });
        res.end();
      });
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      const size = sizes.get(path);
      if (size === undefined) {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
      } else if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': size });
        res.end();
      } else {
        sendBytes(res, size);
      }
      return;
    }
    req.resume();
    res.writeHead(405, { 'content-length': 0 });
    res.end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    stats: () => ({ receivedBytes, sentBytes }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } });
  const server = await startBareHttpServer({ host: values.host, port: values.port === undefined ? undefined : Number(values.port) });
  process.stdout.write(`bare-http-server listening on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bare-http-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
