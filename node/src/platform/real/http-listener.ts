import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assert } from '../assert.js';
import { StrataError } from '../errors.js';

/** The `[network]` settings an HTTP port honours. */
export interface ListenerTuning {
  maxConnections?: number;
  tcpNoDelay?: boolean;
  /** How long stop() lets requests in flight finish before it closes their connections (default 10 s). */
  drainMs?: number;
}

export interface HttpListenerOptions extends ListenerTuning {
  /** Shown in errors, e.g. 'admin port' or 'S3 port'. */
  name: string;
  host: string;
  /** 0 picks a free port (tests); see `port` after start(). */
  port: number;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * One HTTP listener with the start/stop behaviour every port of a node needs: a clear error when the
 * address is taken, keep-alive for reusing clients, and a stop that does not hang on idle sockets.
 */
/**
 * `maxConnections` (`[network] max_connections`): sockets beyond it are closed at accept (default: no
 * limit). `tcpNoDelay` (`[network] tcp_nodelay`): Nagle off on accepted sockets (default true).
 */
export class HttpListener {
  private server: Server | undefined;
  private stopping = false;
  /** Responses not finished yet: stop() waits for them and tells their clients not to reuse the connection. */
  private readonly inFlight = new Set<ServerResponse>();

  constructor(private readonly options: HttpListenerOptions) {}

  async start(): Promise<void> {
    assert(this.server === undefined, `${this.options.name} started twice`);
    const server = createServer({ noDelay: this.options.tcpNoDelay ?? true }, (req, res) => {
      // A client of a stopping node reconnects (through a Service: to another pod) instead of reusing this socket.
      if (this.stopping) res.shouldKeepAlive = false;
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
      this.options.handler(req, res);
    });
    if (this.options.maxConnections !== undefined) server.maxConnections = this.options.maxConnections;
    // Clients reuse connections; close idle ones before a proxy in front would.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port });
    }).catch((err: unknown) => {
      throw new StrataError('Unavailable', `${this.options.name} ${this.options.host}:${this.options.port}: ${(err as Error).message}`, { cause: err });
    });
    this.server = server;
  }

  /**
   * Stops accepting, closes idle keep-alive sockets, lets requests in flight finish (their responses say
   * `Connection: close`), and after `drainMs` closes whatever is still open: a rolling restart costs the
   * clients of this node a reconnect, not a reset mid-request.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.stopping = true;
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A socket that finishes its last request goes idle and is closed by close()'s own idle check only once;
    // close those as they turn idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), this.options.drainMs ?? 10_000);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(deadline);
    }
  }

  /** The port actually bound (differs from the option when it was 0). */
  get port(): number {
    assert(this.server !== undefined, `${this.options.name}: port read before start()`);
    return (this.server.address() as AddressInfo).port;
  }

  /** Base URL for clients, e.g. http://127.0.0.1:9090. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.port}`;
  }
}
