import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpListener } from '../../../node/src/platform/real/http-listener.js';
import type { OperatorMetrics } from './operator-metrics.js';

export interface HealthServerOptions {
  host?: string;
  /** /healthz and /readyz. Default 8081. */
  healthPort?: number;
  /** /metrics. Default 8080. */
  metricsPort?: number;
  metrics: OperatorMetrics;
  /** Ready: the Kubernetes API answered and the controller (or the standby loop) runs. */
  ready: () => boolean;
}

export function resolveHealthServerOptions(options: HealthServerOptions): Required<HealthServerOptions> {
  return { host: '0.0.0.0', healthPort: 8081, metricsPort: 8080, ...options };
}

/** The operator's probe and metrics ports. */
export class HealthServer {
  private readonly o: Required<HealthServerOptions>;
  private readonly health: HttpListener;
  private readonly metricsListener: HttpListener;

  constructor(options: HealthServerOptions) {
    this.o = resolveHealthServerOptions(options);
    this.health = new HttpListener({ name: 'health port', host: this.o.host, port: this.o.healthPort, handler: (req, res) => this.onHealth(req, res) });
    this.metricsListener = new HttpListener({ name: 'metrics port', host: this.o.host, port: this.o.metricsPort, handler: (req, res) => this.onMetrics(req, res) });
  }

  async start(): Promise<void> {
    await this.health.start();
    try {
      await this.metricsListener.start();
    } catch (err) {
      await this.health.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.health.stop(), this.metricsListener.stop()]);
  }

  get healthUrl(): string {
    return this.health.url;
  }

  get metricsUrl(): string {
    return this.metricsListener.url;
  }

  private onHealth(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return reply(res, 200, 'ok\n');
    if (path === '/readyz') return this.o.ready() ? reply(res, 200, 'ok\n') : reply(res, 503, 'not ready\n');
    reply(res, 404, 'not found\n');
  }

  private onMetrics(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return reply(res, 404, 'not found\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(this.o.metrics.render());
  }
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
