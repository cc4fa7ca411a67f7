import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assert } from '../assert.js';
import { StrataError } from '../errors.js';

/** The `[network]` settings an HTTP port honours. */
export interface ListenerTuning {
  maxConnections?: number;
  tcpNoDelay?: boolean;
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

  constructor(private readonly options: HttpListenerOptions) {}

  async start(): Promise<void> {
    assert(this.server === undefined, `${this.options.name} started twice`);
    const server = createServer({ noDelay: this.options.tcpNoDelay ?? true }, this.options.handler);
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

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive sockets would hold close() open forever.
    server.closeAllConnections();
    await closed;
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
