import { S3Error } from './errors.js';

/**
 * The pure router: an HTTP request (method, Host, raw path, query, a few headers) -> the typed S3
 * operation with its bucket and key. Path-style (/bucket/key) and virtual-host style
 * (Host: bucket.<suffix>). Unsupported subresources are named, not silently served as something else.
 */
export const S3_OPERATIONS = [
  'ListBuckets',
  'CreateBucket',
  'DeleteBucket',
  'HeadBucket',
  'GetBucketLocation',
  'ListObjects',
  'ListObjectsV2',
  'ListMultipartUploads',
  'DeleteObjects',
  'PutObject',
  'CopyObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
] as const;
export type S3Operation = (typeof S3_OPERATIONS)[number];

/** Subresources S3 has and Strata does not serve yet: NotImplemented, honestly. */
export const UNSUPPORTED_SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataConfiguration', 'metadataTable', 'metrics', 'notification',
  'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'versioning',
  'versions', 'website', 'renameObject',
] as const;

export class S3Query {
  constructor(readonly pairs: readonly (readonly [string, string])[]) {}

  /** Parse a raw query string; '+' stays '+' (S3 clients send %20 for spaces). */
  static parse(raw: string): S3Query {
    const pairs: [string, string][] = [];
    for (const part of raw.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      try {
        pairs.push([decodeURIComponent(name), decodeURIComponent(value)]);
      } catch {
        throw new S3Error('InvalidArgument', `malformed %-escape in the query parameter "${name}"`);
      }
    }
    return new S3Query(pairs);
  }

  get(name: string): string | undefined {
    return this.pairs.find(([n]) => n === name)?.[1];
  }

  has(name: string): boolean {
    return this.pairs.some(([n]) => n === name);
  }
}

export interface RouteInput {
  method: string;
  /** The Host header (may carry a port). */
  host: string | undefined;
  /** The path as sent, %-encoded, without the query string. */
  rawPath: string;
  query: S3Query;
  /** Whether an x-amz-copy-source header is present (PutObject vs CopyObject, UploadPart vs UploadPartCopy). */
  hasCopySource: boolean;
}

export interface Route {
  operation: S3Operation;
  bucket?: string;
  key?: string;
}

export interface RouteRefusal {
  /** For metrics and logs: what was asked for. */
  operation: 'Unsupported';
  bucket?: string;
  key?: string;
  error: S3Error;
}

export function bucketFromHost(host: string | undefined, virtualHostSuffixes: readonly string[]): string | undefined {
  if (host === undefined) return undefined;
  const name = stripPort(host.trim().toLowerCase());
  for (const suffix of virtualHostSuffixes) {
    const s = suffix.toLowerCase();
    if (name.length > s.length + 1 && name.endsWith('.' + s)) return name.slice(0, name.length - s.length - 1);
  }
  return undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host; // IPv6 literal: never a virtual host
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

export function route(input: RouteInput, virtualHostSuffixes: readonly string[]): Route | RouteRefusal {
  let path: string;
  try {
    path = decodeURIComponent(input.rawPath);
  } catch {
    return { operation: 'Unsupported', error: new S3Error('InvalidArgument', 'malformed %-escape in the path') };
  }
  if (!path.startsWith('/')) path = '/' + path;
  let bucket = bucketFromHost(input.host, virtualHostSuffixes);
  let key: string | undefined;
  if (bucket !== undefined) {
    key = path.length > 1 ? path.slice(1) : undefined;
  } else {
    const rest = path.slice(1);
    const slash = rest.indexOf('/');
    bucket = slash < 0 ? rest : rest.slice(0, slash);
    key = slash < 0 || slash === rest.length - 1 ? undefined : rest.slice(slash + 1);
    if (bucket === '') bucket = undefined;
  }
  const q = input.query;
  const method = input.method.toUpperCase();
  const refuse = (error: S3Error): RouteRefusal => ({ operation: 'Unsupported', bucket, key, error });
  const notAllowed = (): RouteRefusal => refuse(new S3Error('MethodNotAllowed', `${method} is not allowed on this resource`));

  const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => q.has(name));
  if (unsupported !== undefined && bucket !== undefined) {
    return refuse(new S3Error('NotImplemented', `the ?${unsupported} subresource is not implemented by Strata`));
  }

  if (bucket === undefined) {
    if (method === 'GET') return { operation: 'ListBuckets' };
    return notAllowed();
  }

  if (key === undefined) {
    switch (method) {
      case 'PUT':
        return { operation: 'CreateBucket', bucket };
      case 'DELETE':
        return { operation: 'DeleteBucket', bucket };
      case 'HEAD':
        return { operation: 'HeadBucket', bucket };
      case 'GET':
        if (q.has('location')) return { operation: 'GetBucketLocation', bucket };
        if (q.has('uploads')) return { operation: 'ListMultipartUploads', bucket };
        if (q.get('list-type') === '2') return { operation: 'ListObjectsV2', bucket };
        if (q.has('list-type')) return refuse(new S3Error('InvalidArgument', 'list-type must be 2'));
        return { operation: 'ListObjects', bucket };
      case 'POST':
        if (q.has('delete')) return { operation: 'DeleteObjects', bucket };
        return refuse(new S3Error('NotImplemented', 'browser POST uploads are not implemented by Strata'));
      default:
        return notAllowed();
    }
  }

  const uploadId = q.has('uploadId');
  switch (method) {
    case 'PUT':
      if (q.has('partNumber') || uploadId) {
        if (!(q.has('partNumber') && uploadId)) return refuse(new S3Error('InvalidRequest', 'UploadPart needs both partNumber and uploadId'));
        return { operation: input.hasCopySource ? 'UploadPartCopy' : 'UploadPart', bucket, key };
      }
      return { operation: input.hasCopySource ? 'CopyObject' : 'PutObject', bucket, key };
    case 'GET':
      if (uploadId) return { operation: 'ListParts', bucket, key };
      return { operation: 'GetObject', bucket, key };
    case 'HEAD':
      return { operation: 'HeadObject', bucket, key };
    case 'DELETE':
      if (uploadId) return { operation: 'AbortMultipartUpload', bucket, key };
      return { operation: 'DeleteObject', bucket, key };
    case 'POST':
      if (q.has('uploads')) return { operation: 'CreateMultipartUpload', bucket, key };
      if (uploadId) return { operation: 'CompleteMultipartUpload', bucket, key };
      return notAllowed();
    default:
      return notAllowed();
  }
}
