import { HttpListener, type ListenerTuning } from '../platform/real/http-listener.js';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { AdminService } from '../ports/admin-service.js';
import type { BackupAdmin } from '../ports/backup-admin.js';
import type { LogAdmin, SettingsAdmin } from '../ports/log-admin.js';
import type { MaintenanceAdmin } from '../ports/maintenance-admin.js';
import type { ScrubAdmin } from '../ports/scrub-admin.js';
import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { SystemClock } from '../platform/real/system-clock.js';
import { bucketNameProblem } from './bucket-name.js';
import { toErrorResponse } from './error-response.js';
import { PromMetricsSink } from './prom-metrics-sink.js';
import { mountBackupRoutes } from './backup-routes.js';
import { mountLogRoutes } from './log-routes.js';
import { mountMaintenanceRoutes } from './maintenance-routes.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteDeps } from './route-deps.js';
import { parseNodeId } from './route-params.js';
import { mountScrubRoutes } from './scrub-routes.js';

export interface AdminServerOptions {
  /** The node's bind address (config node.bind_address). */
  host: string;
  /** 9090 in production; 0 picks a free port (tests), see `port` after start(). */
  port: number;
  service: AdminService;
  /**
   * Optional sub-services: a node built without one answers its routes with 501 Unavailable
   * "... is not available on this node".
   */
  maintenance?: MaintenanceAdmin;
  scrub?: ScrubAdmin;
  backup?: BackupAdmin;
  logs?: LogAdmin;
  settings?: SettingsAdmin;
  /** Served at /metrics; the server adds its own request metrics to it. Default: a fresh sink. */
  metrics?: PromMetricsSink;
  logger?: Logger;
  clock?: Clock;
  /** A service call slower than this answers 504 Timeout (the call itself may still finish). */
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  /** `[network]` max_connections and tcp_nodelay for this port. */
  tuning?: ListenerTuning;
}

type SubServices = 'maintenance' | 'scrub' | 'backup' | 'logs' | 'settings';

export interface ResolvedAdminServerOptions extends Required<Omit<AdminServerOptions, 'metrics' | SubServices>>, Pick<AdminServerOptions, SubServices> {
  metrics: PromMetricsSink;
}

export function resolveAdminServerOptions(options: AdminServerOptions): ResolvedAdminServerOptions {
  return {
    host: options.host,
    port: options.port,
    service: options.service,
    maintenance: options.maintenance,
    scrub: options.scrub,
    backup: options.backup,
    logs: options.logs,
    settings: options.settings,
    metrics: options.metrics ?? new PromMetricsSink(),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? new SystemClock(),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    tuning: options.tuning ?? {},
  };
}

const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The admin HTTP port: health probes, Prometheus metrics and the admin API (JSON). It sees only the
 * AdminService port; errors leave as one JSON shape with a status derived from the StrataError code.
 */
export class AdminServer {
  private readonly options: ResolvedAdminServerOptions;
  private readonly app: Koa;
  private readonly log: Logger;
  private readonly listener: HttpListener;

  constructor(options: AdminServerOptions) {
    this.options = resolveAdminServerOptions(options);
    this.log = this.options.logger.child({ component: 'admin' });
    this.app = this.buildApp();
    this.listener = new HttpListener({ name: 'admin port', host: this.options.host, port: this.options.port, handler: this.app.callback(), ...this.options.tuning });
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.log.info({ host: this.options.host, port: this.port }, 'admin server listening');
  }

  async stop(): Promise<void> {
    await this.listener.stop();
  }

  /** The port actually bound (differs from the option when it was 0). */
  get port(): number {
    return this.listener.port;
  }

  /** Base URL for clients. */
  get url(): string {
    return this.listener.url;
  }

  private buildApp(): Koa {
    const app = new Koa();
    const { metrics, clock } = this.options;
    const requests = metrics.counter('strata_admin_requests_total', 'Admin HTTP requests by route and status', ['method', 'route', 'status']);
    const duration = metrics.histogram('strata_admin_request_duration_seconds', 'Admin HTTP request latency', DURATION_BUCKETS_S, ['method', 'route']);

    // Outermost: every error becomes the one JSON shape, and every request is counted and logged once.
    app.use(async (ctx, next) => {
      const startMs = clock.nowMs();
      try {
        await next();
        if (ctx.status === 404 && ctx.body === undefined) {
          throw new StrataError('NotFound', `no route for ${ctx.method} ${ctx.path}`);
        }
      } catch (err) {
        const response = toErrorResponse(err);
        ctx.status = response.status;
        ctx.set(response.headers);
        ctx.body = response.body;
        if (response.unexpected) this.log.error({ err, method: ctx.method, path: ctx.path }, 'admin request failed');
      }
      const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
      const elapsedMs = clock.nowMs() - startMs;
      requests.inc(1, { method: ctx.method, route, status: String(ctx.status) });
      duration.observe(elapsedMs / 1000, { method: ctx.method, route });
      this.log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, durationMs: Math.round(elapsedMs * 10) / 10 }, 'admin request');
    });

    const router = this.buildRouter();
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
    // koa would print every thrown error to stderr; the middleware above already handled it.
    app.silent = true;
    return app;
  }

  private buildRouter(): Router {
    const { service, maxBodyBytes } = this.options;
    const call = <T>(what: string, run: () => Promise<T>): Promise<T> => this.withTimeout(what, run);
    const router = new Router();

    router.get('/health/live', (ctx) => {
      ctx.type = 'text/plain';
      ctx.body = 'OK';
    });

    router.get('/health/ready', async (ctx) => {
      let report;
      try {
        report = await call('health', () => service.health());
      } catch (err) {
        // A node that cannot even say whether it is ready is not ready; the probe wants 503, not 500.
        report = { ready: false, reasons: [`health check failed: ${(err as Error).message}`] };
      }
      ctx.status = report.ready ? 200 : 503;
      ctx.body = report;
    });

    router.get('/metrics', async (ctx) => {
      ctx.type = this.options.metrics.contentType;
      ctx.body = await this.options.metrics.metricsText();
    });

    router.get('/admin/v1/cluster', async (ctx) => {
      ctx.body = await call('clusterStatus', () => service.clusterStatus());
    });

    router.get('/admin/v1/buckets', async (ctx) => {
      ctx.body = { buckets: await call('listBuckets', () => service.listBuckets()) };
    });

    router.put('/admin/v1/buckets/:name', async (ctx) => {
      const name = validBucketName(ctx.params.name);
      ctx.status = 201;
      ctx.body = await call('createBucket', () => service.createBucket(name));
    });

    router.delete('/admin/v1/buckets/:name', async (ctx) => {
      const name = validBucketName(ctx.params.name);
      await call('deleteBucket', () => service.deleteBucket(name));
      ctx.status = 204;
    });

    router.post('/admin/v1/leadership/transfer', async (ctx) => {
      const body = await readJsonBody(ctx.req, maxBodyBytes);
      const to = body.to === undefined || body.to === null ? undefined : parseNodeId(body.to, '"to"');
      const leader = await call('transferLeadership', () => service.transferLeadership(to));
      ctx.body = { leader };
    });

    const deps: RouteDeps = { router, call, maxBodyBytes, log: this.log };
    mountMaintenanceRoutes(deps, service, this.options.maintenance);
    mountScrubRoutes(deps, this.options.scrub);
    mountBackupRoutes(deps, this.options.backup);
    mountLogRoutes(deps, this.options.logs, this.options.settings);
    return router;
  }

  private withTimeout<T>(what: string, run: () => Promise<T>): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        reject(new StrataError('Timeout', `${what} did not finish within ${timeoutMs}ms (it may still take effect)`, { retryable: true, details: { timeoutMs } }));
      }, timeoutMs);
      run().then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (err: unknown) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }
}

function validBucketName(name: string | undefined): string {
  const value = name ?? '';
  const problem = bucketNameProblem(value);
  if (problem !== undefined) {
    throw new StrataError('InvalidArgument', `invalid bucket name ${JSON.stringify(value)}: ${problem}`, { details: { bucket: value } });
  }
  return value;
}
