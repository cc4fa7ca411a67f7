import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpListener, type ListenerTuning } from '../platform/real/http-listener.js';
import Koa from 'koa';
import { assert } from '../platform/assert.js';
import type { BusyTimeMeter } from '../platform/busy-time-meter.js';
import type { Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type MetricsSink } from '../platform/metrics.js';
import { SystemClock } from '../platform/real/system-clock.js';
import type { ObjectService } from '../ports/object-service.js';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets.js';
import { toS3Error } from './errors.js';
import { listObjectsV1, listObjectsV2 } from './listing.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.js';
import { copyObject, deleteObject, deleteObjects, getObject, headObject, putObject } from './objects.js';
import { VerifiedBody } from './request-body.js';
import type { Handler, HandlerEnv, S3Request, S3Response } from './request-context.js';
import { route, S3Query, type S3Operation } from './router.js';
import { deriveSigningKey, verify, type Credentials } from './sigv4.js';
import { SigningKeyCache } from './signing-key-cache.js';
import { errorXml } from './xml.js';

export interface S3ServerOptions {
  /** The node's bind address. */
  host: string;
  /** 9080 in production; 0 picks a free port (tests), see `port` after start(). */
  port: number;
  service: ObjectService;
  /** Access keys allowed to sign requests (SigV4). No anonymous access. */
  credentials: Credentials[];
  /** The region clients sign for; default us-east-1. */
  region?: string;
  /** Host suffixes that make bucket.<suffix> a virtual-host style request, e.g. ['s3.local']. */
  virtualHostSuffixes?: string[];
  metrics?: MetricsSink;
  logger?: Logger;
  clock?: Clock;
  /** Limit of x-amz-meta-* names plus values, in bytes (S3: 2 KiB). */
  maxHeaderMetadataBytes?: number;
  /** `[network]` max_connections and tcp_nodelay for this port. */
  tuning?: ListenerTuning;
  /** Told of every request while it is in flight: how busy the gateway is paces data moves (0020). */
  busyTime?: BusyTimeMeter;
}

export type ResolvedS3ServerOptions = Required<Omit<S3ServerOptions, 'busyTime'>> & Pick<S3ServerOptions, 'busyTime'>;

export function resolveS3ServerOptions(options: S3ServerOptions): ResolvedS3ServerOptions {
  assert(options.credentials.length > 0, 'S3Server needs at least one credential');
  return {
    host: options.host,
    port: options.port,
    service: options.service,
    credentials: options.credentials,
    region: options.region ?? 'us-east-1',
    virtualHostSuffixes: options.virtualHostSuffixes ?? [],
    metrics: options.metrics ?? noopMetrics,
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? new SystemClock(),
    maxHeaderMetadataBytes: options.maxHeaderMetadataBytes ?? 2048,
    tuning: options.tuning ?? {},
    busyTime: options.busyTime,
  };
}

const HANDLERS: Record<S3Operation, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The S3 gateway: koa hosts the listener, and each request goes route -> SigV4 -> handler -> response,
 * written straight to Node's response so streams, HEAD and empty bodies are exactly what S3 sends.
 * Every failure leaves as S3's XML error with x-amz-request-id; unexpected ones are logged once here.
 */
export class S3Server {
  private readonly options: ResolvedS3ServerOptions;
  private readonly app: Koa;
  private readonly log: Logger;
  private readonly listener: HttpListener;
  private readonly signingKeys = new SigningKeyCache(deriveSigningKey);

  constructor(options: S3ServerOptions) {
    this.options = resolveS3ServerOptions(options);
    this.log = this.options.logger.child({ component: 's3' });
    this.app = this.buildApp();
    this.listener = new HttpListener({ name: 'S3 port', host: this.options.host, port: this.options.port, handler: this.app.callback(), ...this.options.tuning });
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.log.info({ host: this.options.host, port: this.port }, 's3 gateway listening');
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
    const { metrics } = this.options;
    const requests = metrics.counter('strata_s3_requests_total', 'S3 requests by method and operation', ['method', 'operation']);
    const duration = metrics.histogram('strata_s3_request_duration_seconds', 'S3 request latency by operation', DURATION_BUCKETS_S, ['operation']);
    const env: HandlerEnv = {
      service: this.options.service,
      region: this.options.region,
      maxHeaderMetadataBytes: this.options.maxHeaderMetadataBytes,
      clock: this.options.clock,
      logger: this.log,
    };
    app.use(async (ctx) => {
      ctx.respond = false; // we write the response ourselves
      const startMs = this.options.clock.nowMs();
      const done = this.options.busyTime?.begin();
      let operation: string;
      try {
        operation = await this.handle(ctx.req, ctx.res, env);
      } finally {
        done?.();
      }
      requests.inc(1, { method: ctx.req.method ?? 'UNKNOWN', operation });
      duration.observe((this.options.clock.nowMs() - startMs) / 1000, { operation });
    });
    app.silent = true;
    return app;
  }

  /** Serves one request; returns the operation name for metrics. Never throws. */
  private async handle(req: IncomingMessage, res: ServerResponse, env: HandlerEnv): Promise<string> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    let operation = 'Unknown';
    let body: VerifiedBody | undefined;
    let resource = rawPath;
    try {
      const query = S3Query.parse(q < 0 ? '' : rawUrl.slice(q + 1));
      const routed = route(
        { method, host: req.headers.host, rawPath, query, hasCopySource: req.headers['x-amz-copy-source'] !== undefined },
        this.options.virtualHostSuffixes,
      );
      operation = routed.operation;
      resource = routed.bucket === undefined ? '/' : `/${routed.bucket}${routed.key === undefined ? '' : '/' + routed.key}`;
      const auth = verify(
        { method, rawPath, query: query.pairs, rawHeaders: req.rawHeaders },
        { credentials: this.options.credentials, region: this.options.region, nowMs: this.options.clock.wallMs(), signingKeys: this.signingKeys },
      );
      if ('error' in routed) throw routed.error;
      const request: S3Request = {
        operation: routed.operation,
        bucket: routed.bucket ?? '',
        key: routed.key ?? '',
        method,
        query,
        headers: req.headers,
        requestId,
        accessKeyId: auth.accessKeyId,
        body: () => (body ??= new VerifiedBody({ source: req, headers: req.headers, payloadHash: auth.payloadHash, signing: auth.signing })),
      };
      let response: S3Response;
      try {
        response = await HANDLERS[routed.operation](request, env);
      } catch (err) {
        // A failed body check wins over whatever the service made of the aborted stream.
        throw body?.failure ?? err;
      }
      if (body?.failure !== undefined) throw body.failure;
      await this.write(res, method, requestId, response, resource);
    } catch (err) {
      this.writeError(res, method, requestId, resource, err, operation);
    }
    return operation;
  }

  private async write(res: ServerResponse, method: string, requestId: string, response: S3Response, resource: string): Promise<void> {
    const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId, ...(response.headers ?? {}) };
    const status = response.status ?? 200;
    const body = response.body;
    if (typeof body === 'string') {
      headers['content-length'] = String(Buffer.byteLength(body));
      res.writeHead(status, headers);
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (body === undefined || method === 'HEAD') {
      if (headers['content-length'] === undefined) headers['content-length'] = '0';
      res.writeHead(status, headers);
      res.end();
      return;
    }
    res.writeHead(status, headers);
    try {
      await pipeline(Readable.from(body, { objectMode: false }), res);
    } catch (err) {
      // Headers are gone: the only honest signal left is a cut connection (pipeline destroyed it).
      const aborted = (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
      if (!aborted) this.log.error({ err, requestId, resource }, 'S3 response stream failed');
    }
  }

  private writeError(res: ServerResponse, method: string, requestId: string, resource: string, err: unknown, operation: string): void {
    const { error, unexpected } = toS3Error(err);
    if (unexpected) this.log.error({ err, requestId, operation, resource }, 'S3 request failed');
    else this.log.debug({ code: error.code, message: error.message, requestId, operation, resource }, 'S3 request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId };
    if (error.code === 'NotModified' || method === 'HEAD') {
      res.writeHead(error.status, headers);
      res.end();
      return;
    }
    const text = errorXml({ code: error.code, message: error.message, resource, requestId, fields: error.fields });
    headers['content-type'] = 'application/xml';
    headers['content-length'] = String(Buffer.byteLength(text));
    if (error.code === 'SlowDown' || error.code === 'ServiceUnavailable') headers['retry-after'] = '1';
    res.writeHead(error.status, headers);
    res.end(text);
  }
}
