import { isStrataError } from '../platform/errors.js';
import { S3Error, toS3Error } from './errors.js';
import { objectAttributes, objectResponseHeaders, parseCopySource, parseRange, preconditions } from './object-headers.js';
import { readSmallBody } from './request-body.js';
import { checkKey, header, xmlResponse, type Handler, type S3Request } from './request-context.js';
import { isoTime, listOf, parseXml, quoteEtag, textOf, xmlDocument } from './xml.js';

/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */

/** Largest single PUT S3 accepts (5 GiB); bigger objects go through multipart. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
const MAX_DELETE_KEYS = 1000;
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;

export function contentMd5(req: S3Request): string | undefined {
  const value = header(req, 'content-md5');
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value.trim())) throw new S3Error('InvalidDigest');
  return value.trim();
}

function rejectVersionId(req: S3Request): void {
  const version = req.query.get('versionId');
  if (version !== undefined && version !== 'null') throw new S3Error('NotImplemented', 'Strata has no object versions (versionId)');
}

export const putObject: Handler = async (req, env) => {
  checkKey(req.key);
  const attributes = objectAttributes(req, env.maxHeaderMetadataBytes);
  const body = req.body();
  const size = body.description.sizeBytes;
  if (size !== undefined && size > MAX_PUT_BYTES) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_PUT_BYTES) });
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'conditional PUT supports If-None-Match: * only');
  const ifMatch = preconditions(req)?.ifMatch;
  const result = await env.service.putObject({
    bucket: req.bucket,
    key: req.key,
    body,
    sizeBytes: size,
    contentType: attributes.contentType,
    userMetadata: attributes.userMetadata,
    headers: attributes.headers,
    contentMd5: contentMd5(req),
    ifMatch,
    ifNoneMatch: ifNoneMatch === undefined ? undefined : '*',
  });
  return { status: 200, headers: { etag: quoteEtag(result.etag), ...body.verifiedChecksums } };
};

export const getObject: Handler = async (req, env) => {
  rejectVersionId(req);
  if (req.query.has('partNumber')) throw new S3Error('NotImplemented', 'GetObject by partNumber is not implemented by Strata');
  const range = parseRange(header(req, 'range'));
  const result = await env.service.getObject(req.bucket, req.key, { range, preconditions: preconditions(req) });
  const headers = objectResponseHeaders(result.head, req);
  if (result.range === undefined) {
    headers['content-length'] = String(result.head.sizeBytes);
    return { status: 200, headers, body: result.body };
  }
  const { start, end } = result.range;
  headers['content-length'] = String(end - start + 1);
  headers['content-range'] = `bytes ${start}-${end}/${result.head.sizeBytes}`;
  return { status: 206, headers, body: result.body };
};

export const headObject: Handler = async (req, env) => {
  rejectVersionId(req);
  if (req.query.has('partNumber')) throw new S3Error('NotImplemented', 'HeadObject by partNumber is not implemented by Strata');
  const head = await env.service.headObject(req.bucket, req.key, { preconditions: preconditions(req) });
  const headers = objectResponseHeaders(head, req);
  const range = parseRange(header(req, 'range'));
  if (range === undefined) {
    headers['content-length'] = String(head.sizeBytes);
    return { status: 200, headers };
  }
  // HEAD with Range answers like GET would, without the body.
  const resolved = resolveRange(range, head.sizeBytes);
  headers['content-length'] = String(resolved.end - resolved.start + 1);
  headers['content-range'] = `bytes ${resolved.start}-${resolved.end}/${head.sizeBytes}`;
  return { status: 206, headers };
};

function resolveRange(range: { start: number; end: number } | { suffixLength: number } | { start: number }, size: number): { start: number; end: number } {
  if ('suffixLength' in range) {
    if (size === 0) throw new S3Error('InvalidRange', undefined, { RangeRequested: `bytes=-${range.suffixLength}`, ActualObjectSize: String(size) });
    return { start: Math.max(0, size - range.suffixLength), end: size - 1 };
  }
  if (range.start >= size) throw new S3Error('InvalidRange', undefined, { ActualObjectSize: String(size) });
  const end = 'end' in range ? Math.min(range.end, size - 1) : size - 1;
  return { start: range.start, end };
}

export const deleteObject: Handler = async (req, env) => {
  rejectVersionId(req);
  checkKey(req.key);
  await env.service.deleteObject(req.bucket, req.key);
  return { status: 204 };
};

export function deleteResultXml(deleted: string[], errors: { key: string; code: string; message: string }[]): string {
  return xmlDocument('DeleteResult', {
    Deleted: deleted.map((key) => ({ Key: key })),
    Error: errors.map((e) => ({ Key: e.key, Code: e.code, Message: e.message })),
  });
}

export const deleteObjects: Handler = async (req, env) => {
  const text = (await readSmallBody(req.body(), MAX_DELETE_BODY_BYTES)).toString('utf8');
  const doc = parseXml(text, 'Delete');
  const quiet = textOf(doc, 'Quiet')?.trim().toLowerCase() === 'true';
  const objects = listOf(doc, 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML', `a Delete request names 1 to ${MAX_DELETE_KEYS} objects`);
  const keys = objects.map((o) => {
    const key = textOf(o, 'Key');
    if (key === undefined || key === '') throw new S3Error('MalformedXML', 'every <Object> needs a <Key>');
    return { key, versionId: textOf(o, 'VersionId') };
  });
  await env.service.headBucket(req.bucket);
  const deleted: string[] = [];
  const errors: { key: string; code: string; message: string }[] = [];
  for (const { key, versionId } of keys) {
    try {
      if (versionId !== undefined && versionId !== '' && versionId !== 'null') throw new S3Error('NotImplemented', 'Strata has no object versions');
      checkKey(key);
      await env.service.deleteObject(req.bucket, key);
      deleted.push(key);
    } catch (err) {
      const mapped = toS3Error(err);
      if (mapped.unexpected) env.logger.error({ err, bucket: req.bucket, key, requestId: req.requestId }, 'DeleteObjects: a key failed');
      errors.push({ key, code: mapped.error.code, message: mapped.error.message });
    }
  }
  return xmlResponse(deleteResultXml(quiet ? [] : deleted, errors));
};

export function copyResultXml(root: 'CopyObjectResult' | 'CopyPartResult', etag: string, lastModifiedMs: number): string {
  return xmlDocument(root, { ETag: quoteEtag(etag), LastModified: isoTime(lastModifiedMs) });
}

/** Copy conditionals answer 412 whatever failed (S3 never answers 304 to a copy). */
export async function withCopyPreconditions<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isStrataError(err, 'Conflict') && err.details.reason === 'NotModified') throw new S3Error('PreconditionFailed', undefined, {}, { cause: err });
    throw err;
  }
}

export const copyObject: Handler = async (req, env) => {
  checkKey(req.key);
  const source = parseCopySource(header(req, 'x-amz-copy-source') ?? '');
  const directive = (header(req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (header(req, 'x-amz-tagging-directive') !== undefined) throw new S3Error('NotImplemented', 'object tagging is not implemented by Strata');
  if (source.bucket === req.bucket && source.key === req.key && directive === 'COPY') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const attributes = directive === 'REPLACE' ? objectAttributes(req, env.maxHeaderMetadataBytes) : undefined;
  const result = await withCopyPreconditions(() =>
    env.service.copyObject({
      sourceBucket: source.bucket,
      sourceKey: source.key,
      bucket: req.bucket,
      key: req.key,
      sourcePreconditions: preconditions(req, 'x-amz-copy-source-'),
      metadataDirective: directive,
      contentType: attributes?.contentType,
      userMetadata: attributes?.userMetadata,
      headers: attributes?.headers,
    }),
  );
  return xmlResponse(copyResultXml('CopyObjectResult', result.etag, result.lastModifiedMs));
};
