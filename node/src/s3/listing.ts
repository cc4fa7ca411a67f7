import type { ListObjectsResult } from '../ports/object-service.js';
import { OWNER } from './buckets.js';
import { S3Error } from './errors.js';
import { intParam, xmlResponse, type Handler, type S3Request } from './request-context.js';
import { isoTime, quoteEtag, s3UrlEncode, xmlDocument, type XmlObject } from './xml.js';

/** ListObjects (V1) and ListObjectsV2: prefix, delimiter, markers/tokens, max-keys, encoding-type=url. */

export const MAX_KEYS = 1000;

/** The continuation token is opaque to clients: base64url of the key (or common prefix) to start after. */
export function encodeContinuationToken(startAfter: string): string {
  return Buffer.from(startAfter, 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeContinuationToken(key) !== token) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  return key;
}

function encodingOf(req: S3Request): ((s: string) => string) | undefined {
  const type = req.query.get('encoding-type');
  if (type === undefined) return undefined;
  if (type !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type });
  return s3UrlEncode;
}

export interface ListingXmlInput {
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encode?: (s: string) => string;
  result: ListObjectsResult;
}

function entries(input: ListingXmlInput, withOwner: boolean): { Contents: XmlObject[]; CommonPrefixes: XmlObject[] } {
  const enc = input.encode ?? ((s: string) => s);
  return {
    Contents: input.result.objects.map((o) => ({
      Key: enc(o.key),
      LastModified: isoTime(o.lastModifiedMs),
      ETag: quoteEtag(o.etag),
      Size: o.sizeBytes,
      ...(withOwner ? { Owner: OWNER } : {}),
      StorageClass: 'STANDARD',
    })),
    CommonPrefixes: input.result.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  };
}

export function listObjectsV2Xml(input: ListingXmlInput & { continuationToken?: string; startAfter?: string; fetchOwner: boolean }): string {
  const enc = input.encode ?? ((s: string) => s);
  const { result } = input;
  return xmlDocument('ListBucketResult', {
    Name: input.bucket,
    Prefix: enc(input.prefix),
    Delimiter: input.delimiter === undefined ? undefined : enc(input.delimiter),
    MaxKeys: input.maxKeys,
    EncodingType: input.encode === undefined ? undefined : 'url',
    KeyCount: result.objects.length + result.commonPrefixes.length,
    IsTruncated: result.isTruncated,
    ContinuationToken: input.continuationToken,
    NextContinuationToken: result.isTruncated && result.nextStartAfter !== undefined ? encodeContinuationToken(result.nextStartAfter) : undefined,
    StartAfter: input.startAfter === undefined ? undefined : enc(input.startAfter),
    ...entries(input, input.fetchOwner),
  });
}

export function listObjectsV1Xml(input: ListingXmlInput & { marker: string }): string {
  const enc = input.encode ?? ((s: string) => s);
  const { result } = input;
  return xmlDocument('ListBucketResult', {
    Name: input.bucket,
    Prefix: enc(input.prefix),
    Marker: enc(input.marker),
    MaxKeys: input.maxKeys,
    Delimiter: input.delimiter === undefined ? undefined : enc(input.delimiter),
    EncodingType: input.encode === undefined ? undefined : 'url',
    IsTruncated: result.isTruncated,
    NextMarker: result.isTruncated && result.nextStartAfter !== undefined ? enc(result.nextStartAfter) : undefined,
    ...entries(input, true),
  });
}

const EMPTY: ListObjectsResult = { objects: [], commonPrefixes: [], isTruncated: false };

export const listObjectsV2: Handler = async (req, env) => {
  const encode = encodingOf(req);
  const maxKeys = intParam(req, 'max-keys', MAX_KEYS, 0, MAX_KEYS);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') || undefined;
  const continuationToken = req.query.get('continuation-token');
  const startAfter = req.query.get('start-after') || undefined;
  const from = continuationToken !== undefined ? decodeContinuationToken(continuationToken) : startAfter;
  const result =
    maxKeys === 0
      ? (await env.service.headBucket(req.bucket), EMPTY)
      : await env.service.listObjects({ bucket: req.bucket, prefix: prefix || undefined, delimiter, startAfter: from, maxKeys });
  const fetchOwner = req.query.get('fetch-owner') === 'true';
  return xmlResponse(listObjectsV2Xml({ bucket: req.bucket, prefix, delimiter, maxKeys, encode, result, continuationToken, startAfter, fetchOwner }));
};

export const listObjectsV1: Handler = async (req, env) => {
  const encode = encodingOf(req);
  const maxKeys = intParam(req, 'max-keys', MAX_KEYS, 0, MAX_KEYS);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') || undefined;
  const marker = req.query.get('marker') ?? '';
  const result =
    maxKeys === 0
      ? (await env.service.headBucket(req.bucket), EMPTY)
      : await env.service.listObjects({ bucket: req.bucket, prefix: prefix || undefined, delimiter, startAfter: marker || undefined, maxKeys });
  return xmlResponse(listObjectsV1Xml({ bucket: req.bucket, prefix, delimiter, maxKeys, encode, result, marker }));
};
