import type { MultipartUploadInfo, PartInfo } from '../ports/object-service.js';
import { OWNER } from './buckets.js';
import { S3Error } from './errors.js';
import { objectAttributes, parseCopySource, parseCopySourceRange, preconditions } from './object-headers.js';
import { contentMd5, copyResultXml, withCopyPreconditions } from './objects.js';
import { readSmallBody } from './request-body.js';
import { checkKey, header, intParam, xmlResponse, type Handler, type S3Request } from './request-context.js';
import { isoTime, listOf, parseXml, quoteEtag, textOf, unquoteEtag, xmlDocument } from './xml.js';

/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
 * ListMultipartUploads. Part rules (ascending order, 5 MiB minimum, ETags) are the service's to
 * enforce; the gateway checks shapes and numbers.
 */
export const MAX_PART_NUMBER = 10_000;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

function uploadIdOf(req: S3Request): string {
  const id = req.query.get('uploadId');
  if (id === undefined || id === '') throw new S3Error('NoSuchUpload');
  return id;
}

function partNumberOf(req: S3Request): number {
  const raw = req.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

export function initiateXml(upload: MultipartUploadInfo): string {
  return xmlDocument('InitiateMultipartUploadResult', { Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId });
}

export function completeXml(input: { location: string; bucket: string; key: string; etag: string }): string {
  return xmlDocument('CompleteMultipartUploadResult', { Location: input.location, Bucket: input.bucket, Key: input.key, ETag: quoteEtag(input.etag) });
}

export function listPartsXml(input: {
  bucket: string;
  key: string;
  uploadId: string;
  partNumberMarker: number;
  maxParts: number;
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker?: number;
}): string {
  return xmlDocument('ListPartsResult', {
    Bucket: input.bucket,
    Key: input.key,
    UploadId: input.uploadId,
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    PartNumberMarker: input.partNumberMarker,
    NextPartNumberMarker: input.nextPartNumberMarker ?? input.parts.at(-1)?.partNumber ?? input.partNumberMarker,
    MaxParts: input.maxParts,
    IsTruncated: input.isTruncated,
    Part: input.parts.map((p) => ({ PartNumber: p.partNumber, LastModified: isoTime(p.lastModifiedMs), ETag: quoteEtag(p.etag), Size: p.sizeBytes })),
  });
}

export function listUploadsXml(input: {
  bucket: string;
  prefix: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
  uploads: MultipartUploadInfo[];
  isTruncated: boolean;
}): string {
  const last = input.uploads.at(-1);
  return xmlDocument('ListMultipartUploadsResult', {
    Bucket: input.bucket,
    KeyMarker: input.keyMarker,
    UploadIdMarker: input.uploadIdMarker,
    NextKeyMarker: input.isTruncated ? last?.key : undefined,
    NextUploadIdMarker: input.isTruncated ? last?.uploadId : undefined,
    Prefix: input.prefix,
    MaxUploads: input.maxUploads,
    IsTruncated: input.isTruncated,
    Upload: input.uploads.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      Initiated: isoTime(u.initiatedMs),
    })),
  });
}

export const createMultipartUpload: Handler = async (req, env) => {
  checkKey(req.key);
  const attributes = objectAttributes(req, env.maxHeaderMetadataBytes);
  const upload = await env.service.createMultipartUpload({ bucket: req.bucket, key: req.key, ...attributes });
  return xmlResponse(initiateXml(upload));
};

export const uploadPart: Handler = async (req, env) => {
  const partNumber = partNumberOf(req);
  const uploadId = uploadIdOf(req);
  const body = req.body();
  const size = body.description.sizeBytes;
  if (size !== undefined && size > MAX_PART_BYTES) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_PART_BYTES) });
  const result = await env.service.uploadPart({ bucket: req.bucket, key: req.key, uploadId, partNumber, body, sizeBytes: size, contentMd5: contentMd5(req) });
  return { status: 200, headers: { etag: quoteEtag(result.etag), ...body.verifiedChecksums } };
};

export const uploadPartCopy: Handler = async (req, env) => {
  const partNumber = partNumberOf(req);
  const uploadId = uploadIdOf(req);
  const source = parseCopySource(header(req, 'x-amz-copy-source') ?? '');
  const range = parseCopySourceRange(header(req, 'x-amz-copy-source-range'));
  const result = await withCopyPreconditions(() =>
    env.service.uploadPartCopy({
      bucket: req.bucket,
      key: req.key,
      uploadId,
      partNumber,
      sourceBucket: source.bucket,
      sourceKey: source.key,
      range,
      sourcePreconditions: preconditions(req, 'x-amz-copy-source-'),
    }),
  );
  return xmlResponse(copyResultXml('CopyPartResult', result.etag, result.lastModifiedMs));
};

/** The parts of a CompleteMultipartUpload body, in the order sent (the service checks the order). */
export function parseCompleteBody(text: string): { partNumber: number; etag: string }[] {
  const doc = parseXml(text, 'CompleteMultipartUpload');
  const parts = listOf(doc, 'Part').map((p) => {
    const number = textOf(p, 'PartNumber')?.trim() ?? '';
    const etag = textOf(p, 'ETag');
    if (!/^\d{1,5}$/.test(number) || etag === undefined) throw new S3Error('MalformedXML', 'every <Part> needs a <PartNumber> and an <ETag>');
    return { partNumber: Number(number), etag: unquoteEtag(etag) };
  });
  if (parts.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part');
  return parts;
}

export const completeMultipartUpload: Handler = async (req, env) => {
  const uploadId = uploadIdOf(req);
  const parts = parseCompleteBody((await readSmallBody(req.body(), MAX_COMPLETE_BODY_BYTES)).toString('utf8'));
  const result = await env.service.completeMultipartUpload({ bucket: req.bucket, key: req.key, uploadId, parts });
  const location = `/${req.bucket}/${req.key.split('/').map(encodeURIComponent).join('/')}`;
  return xmlResponse(completeXml({ location, bucket: req.bucket, key: req.key, etag: result.etag }));
};

export const abortMultipartUpload: Handler = async (req, env) => {
  await env.service.abortMultipartUpload(req.bucket, req.key, uploadIdOf(req));
  return { status: 204 };
};

export const listParts: Handler = async (req, env) => {
  const uploadId = uploadIdOf(req);
  const maxParts = intParam(req, 'max-parts', 1000, 0, 1000);
  const partNumberMarker = intParam(req, 'part-number-marker', 0, 0, MAX_PART_NUMBER);
  const result = await env.service.listParts({ bucket: req.bucket, key: req.key, uploadId, partNumberMarker: partNumberMarker || undefined, maxParts });
  return xmlResponse(listPartsXml({ bucket: req.bucket, key: req.key, uploadId, partNumberMarker, maxParts, ...result }));
};

export const listMultipartUploads: Handler = async (req, env) => {
  if (req.query.get('delimiter')) throw new S3Error('NotImplemented', 'ListMultipartUploads with a delimiter is not implemented by Strata');
  const maxUploads = intParam(req, 'max-uploads', 1000, 1, 1000);
  const prefix = req.query.get('prefix') ?? '';
  const keyMarker = req.query.get('key-marker') ?? '';
  const uploadIdMarker = req.query.get('upload-id-marker') ?? '';
  const result = await env.service.listMultipartUploads({
    bucket: req.bucket,
    prefix: prefix || undefined,
    keyMarker: keyMarker || undefined,
    uploadIdMarker: uploadIdMarker || undefined,
    maxUploads,
  });
  return xmlResponse(listUploadsXml({ bucket: req.bucket, prefix, keyMarker, uploadIdMarker, maxUploads, ...result }));
};
