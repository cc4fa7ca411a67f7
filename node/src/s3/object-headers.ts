import type { ObjectHead, Preconditions } from '../ports/object-service.js';
import { S3Error } from './errors.js';
import { header, type S3Request } from './request-context.js';
import { quoteEtag, unquoteEtag } from './xml.js';

/**
 * Object headers in and out: user metadata (x-amz-meta-*), the standard headers S3 stores with an
 * object, conditional headers, Range. Pure helpers over the request headers.
 */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
const META_PREFIX = 'x-amz-meta-';

export interface ObjectAttributes {
  contentType?: string;
  userMetadata: Record<string, string>;
  headers: Record<string, string>;
}

/** The attributes a PUT/Copy(REPLACE)/CreateMultipartUpload stores; MetadataTooLarge past the limit. */
export function objectAttributes(req: S3Request, maxMetadataBytes: number): ObjectAttributes {
  const userMetadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [name, raw] of Object.entries(req.headers)) {
    if (!name.startsWith(META_PREFIX) || raw === undefined) continue;
    const key = name.slice(META_PREFIX.length);
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    userMetadata[key] = value;
    metadataBytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (metadataBytes > maxMetadataBytes) {
    throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size (${maxMetadataBytes} bytes).`, {
      Size: String(metadataBytes),
      MaxSizeAllowed: String(maxMetadataBytes),
    });
  }
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = header(req, name);
    if (name === 'content-encoding' && value !== undefined) {
      // aws-chunked describes the transfer, not the object: S3 drops it.
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked')
        .join(',');
      if (value === '') value = undefined;
    }
    if (value !== undefined) headers[name] = value;
  }
  return { contentType: header(req, 'content-type'), userMetadata, headers };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/** The headers GET/HEAD answer with for an object (response-* query overrides applied). */
export function objectResponseHeaders(head: ObjectHead, req: S3Request): Record<string, string> {
  const out: Record<string, string> = {
    etag: quoteEtag(head.etag),
    'last-modified': new Date(head.lastModifiedMs).toUTCString(),
    'content-type': head.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(head.headers)) out[name] = value;
  for (const [name, value] of Object.entries(head.userMetadata)) out[META_PREFIX + name] = value;
  if (head.partCount !== undefined) out['x-amz-mp-parts-count'] = String(head.partCount);
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = req.query.get(param);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** An If-Match / If-None-Match list with quotes removed, so a service compares bare ETags. */
function etagList(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => (v.trim() === '*' ? '*' : unquoteEtag(v)))
    .filter((v) => v !== '')
    .join(',');
}

/** HTTP dates; an unparsable one is ignored, as HTTP says. */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** If-* (or x-amz-copy-source-if-* with prefix 'x-amz-copy-source-') as the service's Preconditions. */
export function preconditions(req: S3Request, prefix = ''): Preconditions | undefined {
  const p: Preconditions = {
    ifMatch: etagList(header(req, prefix + 'if-match')),
    ifNoneMatch: etagList(header(req, prefix + 'if-none-match')),
    ifModifiedSinceMs: httpDate(header(req, prefix + 'if-modified-since')),
    ifUnmodifiedSinceMs: httpDate(header(req, prefix + 'if-unmodified-since')),
  };
  const defined = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Preconditions;
  return Object.keys(defined).length === 0 ? undefined : defined;
}

export type RangeRequest = { start: number; end: number } | { suffixLength: number } | { start: number };

/**
 * Range: bytes=a-b | a- | -n. A header that is not one such range is ignored (the whole object is
 * served), as S3 does; satisfiability against the size is the service's check (InvalidRange).
 */
export function parseRange(value: string | undefined): RangeRequest | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(value);
  if (m === null) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffixLength = Number(b);
    if (suffixLength === 0) throw new S3Error('InvalidRange');
    return { suffixLength };
  }
  const start = Number(a);
  if (b === '') return { start };
  const end = Number(b);
  if (end < start) return undefined;
  return { start, end };
}

/** x-amz-copy-source-range: bytes=a-b only (both ends, inclusive). */
export function parseCopySourceRange(value: string | undefined): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (m === null || Number(m[2]) < Number(m[1])) {
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: value,
    });
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** x-amz-copy-source: [/]bucket/key[?versionId=v], url-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  let text = value.trim();
  const q = text.indexOf('?');
  if (q >= 0) {
    const version = new URLSearchParams(text.slice(q + 1)).get('versionId');
    if (version !== null && version !== 'null') throw new S3Error('NotImplemented', 'Strata has no object versions (versionId in x-amz-copy-source)');
    text = text.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: value,
    });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}
