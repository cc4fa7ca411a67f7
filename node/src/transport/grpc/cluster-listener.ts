/**
 * The TCP listener of the cluster port. We own the net.Server (instead of letting grpc-js bind) so the
 * `[network]` socket settings apply: maxConnections and tcpNoDelay; accepted sockets are handed to the
 * gRPC server through its connection injector.
 */
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '../../platform/logger.js';
import { StrataError } from '../../platform/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseHostPort(address: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) {
    throw new StrataError('InvalidConfig', `listenAddress '${address}' is not host:port (e.g. 127.0.0.2:9000)`);
  }
  return { host: match[1] ?? match[2], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ClusterListenerOptions {
  address: string;
  maxConnections: number;
  tcpNoDelay: boolean;
  logger: Logger;
  onConnection: (socket: Socket) => void;
}

export class ClusterListener {
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ClusterListenerOptions) {
    this.server = new NetServer({ noDelay: options.tcpNoDelay, keepAlive: true, pauseOnConnect: false }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // A reset from a peer must not become an unhandled 'error' event.
      socket.on('error', (err) => options.logger.debug({ err: err.message }, 'cluster connection error'));
      options.onConnection(socket);
    });
    this.server.maxConnections = options.maxConnections;
    this.server.on('drop', (info) => options.logger.warn({ remote: info?.remoteAddress }, 'refused a connection: maxConnections reached'));
  }

  /** Listens; resolves with the bound address (the real port when the configured one is 0). */
  start(): Promise<HostPort> {
    const { host, port } = parseHostPort(this.options.address);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new StrataError('InvalidConfig', `cannot listen on ${this.options.address}: ${err.message}`, { cause: err }));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        const bound = this.server.address();
        resolve({ host, port: typeof bound === 'object' && bound !== null ? bound.port : port });
      });
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stops listening and drops every open connection at once (stop must be prompt). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
    });
  }
}
