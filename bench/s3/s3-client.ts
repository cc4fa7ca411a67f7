/**
 * The load generator's S3 client: PutObject, GetObject and ListObjectsV2 over node:http keep-alive, path
 * style, signed with the tiny SigV4 signer (UNSIGNED-PAYLOAD, so bodies are never hashed) or unsigned for
 * the bare ceiling server. Bodies are never buffered: a GET counts the bytes it drains, a PUT sends a
 * caller's preallocated buffer. Each call resolves to an outcome (never rejects) so a failed request is a
 * counted error, not a crashed worker.
 */
import http from 'node:http';
import { SigV4Signer, canonicalQueryString, encodeKeyPath, type SigV4Credentials } from './sigv4-sign.js';

export interface S3ClientOptions {
  /** Base URLs, e.g. http://127.0.0.21:9080; worker w talks to endpoints[w % n]. */
  endpoints: string[];
  bucket: string;
  /** Absent: requests are sent unsigned (the bare server). */
  credentials?: SigV4Credentials;
  /** Keep-alive sockets per endpoint (set it to the workload's concurrency). */
  maxSocketsPerEndpoint?: number;
  requestTimeoutMs?: number;
}

export function resolveS3ClientOptions(options: S3ClientOptions): Required<Omit<S3ClientOptions, 'credentials'>> & Pick<S3ClientOptions, 'credentials'> {
  if (options.endpoints.length === 0) throw new RangeError('S3 client needs at least one endpoint');
  return { maxSocketsPerEndpoint: 64, requestTimeoutMs: 60_000, ...options };
}

export interface S3Outcome {
  ok: boolean;
  status: number;
  /** Body bytes moved by this request (sent for PUT, received for GET). */
  bytes: number;
  /** Why it failed (empty when ok). */
  description: string;
}

export interface ListPageOutcome extends S3Outcome {
  keyCount: number;
  nextToken?: string;
  truncated: boolean;
}

interface Endpoint {
  host: string;
  hostname: string;
  port: number;
  agent: http.Agent;
}

/** An error body on one short line (S3 errors are multi-line XML): drops the prolog, collapses whitespace. */
function oneLine(text: string): string {
  return text.replace(/<\?xml[^>]*\?>/, '').replace(/\s+/g, ' ').trim().slice(0, 240);
}

/** Undoes the XML escaping of a text node (tokens may contain & < > etc.). */
function xmlText(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** The fields of a ListObjectsV2 answer the walker needs, without an XML parser (cheap and enough). */
export function parseListPage(xml: string): { keyCount: number; nextToken?: string; truncated: boolean } {
  const count = /<KeyCount>(\d+)<\/KeyCount>/.exec(xml);
  const keys = count !== null ? Number(count[1]) : (xml.match(/<Key>/g) ?? []).length;
  const token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml);
  return {
    keyCount: keys,
    nextToken: token === null ? undefined : xmlText(token[1]),
    truncated: /<IsTruncated>true<\/IsTruncated>/.test(xml),
  };
}

export class S3Client {
  private readonly opts: ReturnType<typeof resolveS3ClientOptions>;
  private readonly endpoints: Endpoint[];
  private readonly signer: SigV4Signer | undefined;

  constructor(options: S3ClientOptions) {
    this.opts = resolveS3ClientOptions(options);
    this.signer = this.opts.credentials === undefined ? undefined : new SigV4Signer(this.opts.credentials);
    this.endpoints = this.opts.endpoints.map((base) => {
      const u = new URL(base);
      return {
        host: u.host, hostname: u.hostname, port: Number(u.port || 80),
        agent: new http.Agent({ keepAlive: true, maxSockets: this.opts.maxSocketsPerEndpoint, maxFreeSockets: this.opts.maxSocketsPerEndpoint }),
      };
    });
  }

  get bucket(): string {
    return this.opts.bucket;
  }

  /** Closes every keep-alive socket. */
  close(): void {
    for (const e of this.endpoints) e.agent.destroy();
  }

  putObject(worker: number, key: string, body: Buffer): Promise<S3Outcome> {
    return this.send(worker, 'PUT', `/${this.opts.bucket}/${encodeKeyPath(key)}`, undefined, body, false)
      .then((r) => ({ ...r, bytes: r.ok ? body.length : 0 }));
  }

  /** GET of a whole object; `expectBytes` turns a short or long body into an error. */
  async getObject(worker: number, key: string, expectBytes?: number): Promise<S3Outcome> {
    const r = await this.send(worker, 'GET', `/${this.opts.bucket}/${encodeKeyPath(key)}`, undefined, undefined, false);
    if (r.ok && expectBytes !== undefined && r.bytes !== expectBytes) {
      return { ...r, ok: false, description: `GET ${key}: ${r.bytes} bytes, expected ${expectBytes}` };
    }
    return r;
  }

  async listPage(worker: number, prefix: string, maxKeys: number, token?: string): Promise<ListPageOutcome> {
    const query: Record<string, string> = { 'list-type': '2', prefix, 'max-keys': String(maxKeys) };
    if (token !== undefined) query['continuation-token'] = token;
    const r = await this.send(worker, 'GET', `/${this.opts.bucket}`, query, undefined, true);
    if (!r.ok) return { ...r, keyCount: 0, truncated: false };
    return { ...r, ...parseListPage(r.text ?? '') };
  }

  async createBucket(): Promise<S3Outcome> {
    const r = await this.send(0, 'PUT', `/${this.opts.bucket}`, undefined, undefined, true);
    // An existing bucket of ours is fine (a rerun against the same cluster).
    if (!r.ok && (r.text ?? '').includes('BucketAlreadyOwnedByYou')) return { ...r, ok: true, description: '' };
    return r;
  }

  private send(worker: number, method: string, path: string, query: Record<string, string> | undefined,
    body: Buffer | undefined, readText: boolean): Promise<S3Outcome & { text?: string }> {
    const ep = this.endpoints[worker % this.endpoints.length];
    const qs = canonicalQueryString(query);
    const headers: Record<string, string | number> = this.signer === undefined
      ? { host: ep.host }
      : this.signer.sign({ method, host: ep.host, path, query });
    headers['content-length'] = body?.length ?? 0;
    return new Promise((resolve) => {
      const req = http.request({
        method, hostname: ep.hostname, port: ep.port, path: qs === '' ? path : `${path}?${qs}`,
        agent: ep.agent, headers, timeout: this.opts.requestTimeoutMs,
      }, (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        let bytes = 0;
        // Error bodies are always read (they say why); success bodies only when the caller needs them.
        const keep = readText || !ok;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keep) chunks.push(c);
        });
        res.on('end', () => {
          const text = keep ? Buffer.concat(chunks).toString('utf8') : undefined;
          resolve({ ok, status, bytes, text, description: ok ? '' : `${method} ${path}: HTTP ${status} ${oneLine(text ?? '')}` });
        });
        res.on('error', (err) => resolve({ ok: false, status, bytes, description: `${method} ${path}: response ${err.message}` }));
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.opts.requestTimeoutMs} ms`)));
      req.on('error', (err) => resolve({ ok: false, status: 0, bytes: 0, description: `${method} ${path}: ${err.message}` }));
      req.end(body);
    });
  }
}
