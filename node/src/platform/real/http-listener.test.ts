import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener } from './http-listener.js';

const listeners: HttpListener[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.stop()));
});

async function start(options: { maxConnections?: number; tcpNoDelay?: boolean }): Promise<HttpListener> {
  const listener = new HttpListener({ name: 'test port', host: '127.0.0.1', port: 0, handler: (_req, res) => res.end('ok'), ...options });
  await listener.start();
  listeners.push(listener);
  return listener;
}

/** Sends one keep-alive request on a fresh socket; resolves with the reply text, or 'closed' when the server drops it. */
function requestOnNewSocket(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n\r\nok')) resolve(reply);
    });
    socket.on('close', () => resolve(reply === '' ? 'closed' : reply));
    socket.on('error', () => resolve('closed'));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  });
}

describe('HttpListener', () => {
  it('closes connections beyond [network] max_connections', async () => {
    const listener = await start({ maxConnections: 2 });
    expect(await requestOnNewSocket(listener.port)).toContain('200 OK');
    expect(await requestOnNewSocket(listener.port)).toContain('200 OK');
    // Both kept alive: a third connection is over the limit.
    expect(await requestOnNewSocket(listener.port)).toBe('closed');
  });

  it('accepts any number of connections without a limit', async () => {
    const listener = await start({});
    const replies = await Promise.all([1, 2, 3, 4].map(() => requestOnNewSocket(listener.port)));
    for (const reply of replies) expect(reply).toContain('200 OK');
  });

  it('names the port and address when the address is taken', async () => {
    const first = await start({});
    const second = new HttpListener({ name: 'S3 port', host: '127.0.0.1', port: first.port, handler: () => {} });
    await expect(second.start()).rejects.toThrow(`S3 port 127.0.0.1:${first.port}`);
  });

  it('stop() lets a request in flight finish, says Connection: close, and closes idle keep-alive sockets at once', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const listener = new HttpListener({ name: 'test port', host: '127.0.0.1', port: 0, handler: (req, res) => (req.url === '/slow' ? void gate.then(() => res.end('ok')) : res.end('ok')) });
    await listener.start();
    listeners.push(listener);
    expect(await requestOnNewSocket(listener.port)).toContain('200 OK'); // an idle keep-alive socket now
    const slow = new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: listener.port });
      sockets.push(socket);
      let reply = '';
      socket.on('data', (chunk) => (reply += chunk.toString()));
      socket.on('close', () => resolve(reply));
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    let stopped = false;
    const stopping = listener.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false); // still serving the slow request
    release();
    const reply = await slow;
    expect(reply).toContain('200 OK');
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toMatch(/\r\n\r\nok$/);
    await stopping;
  });

  it('stop() closes a request that outlives drainMs', async () => {
    const listener = new HttpListener({ name: 'test port', host: '127.0.0.1', port: 0, drainMs: 300, handler: () => {} });
    await listener.start();
    const hung = new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: listener.port });
      sockets.push(socket);
      socket.on('close', () => resolve('closed'));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await listener.stop();
    expect(await hung).toBe('closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
