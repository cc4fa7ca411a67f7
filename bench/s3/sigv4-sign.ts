/**
 * A tiny AWS Signature V4 signer for the S3 load generator: header auth with `x-amz-content-sha256:
 * UNSIGNED-PAYLOAD`, so the body is never hashed and a request costs two HMACs and one SHA-256 of a short
 * canonical request (the signing key is cached per day). Paths must already be URI-encoded the way S3
 * expects (each segment encoded once, '/' kept); query values are encoded here.
 */
import crypto from 'node:crypto';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface SignInput {
  method: string;
  /** host[:port] exactly as sent in the Host header. */
  host: string;
  /** URI-encoded path, e.g. /bucket/key. */
  path: string;
  query?: Record<string, string>;
  /** Extra headers to sign (lower-case names). */
  headers?: Record<string, string>;
  /** Request time; defaults to now. */
  date?: Date;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes an object key for a path: each segment once, slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(uriEncode).join('/');
}

export function canonicalQueryString(query: Record<string, string> | undefined): string {
  if (query === undefined) return '';
  return Object.keys(query)
    .map((k) => [uriEncode(k), uriEncode(query[k])] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: crypto.BinaryLike, data: string): Buffer => crypto.createHmac('sha256', key).update(data).digest();

export class SigV4Signer {
  private readonly creds: SigV4Credentials;
  private cachedDay = '';
  private cachedKey: Buffer = Buffer.alloc(0);

  constructor(credentials: SigV4Credentials) {
    this.creds = credentials;
  }

  private signingKey(day: string): Buffer {
    if (day !== this.cachedDay) {
      const kDate = hmac(`AWS4${this.creds.secretAccessKey}`, day);
      this.cachedKey = hmac(hmac(hmac(kDate, this.creds.region), 's3'), 'aws4_request');
      this.cachedDay = day;
    }
    return this.cachedKey;
  }

  /** The headers to send (host, x-amz-date, x-amz-content-sha256, authorization, plus input.headers). */
  sign(input: SignInput): Record<string, string> {
    const amzDate = (input.date ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = {
      ...input.headers,
      host: input.host,
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': amzDate,
    };
    const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
    const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
    const signedHeaders = names.join(';');
    const canonicalRequest = [input.method, input.path, canonicalQueryString(input.query), canonicalHeaders,
      signedHeaders, UNSIGNED_PAYLOAD].join('\n');
    const scope = `${day}/${this.creds.region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope,
      crypto.createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const signature = crypto.createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    return {
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope}, ` +
        `SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }
}
