import { normalizeEtag } from '../meta/commands.js';
import type { ObjectManifest } from '../meta/records.js';
import { StrataError } from '../platform/errors.js';
import type { ByteRange, Preconditions } from '../ports/object-service.js';

/** Does an If-Match / If-None-Match header value ('*' or a comma-separated list of ETags) name this ETag? */
function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((value) => value.trim())
    .some((value) => value === '*' || normalizeEtag(value) === etag);
}

/** HTTP dates have whole seconds: compare at that precision, or a fresh object is "modified since" itself. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * S3's order (RFC 7232 section 6): If-Match, else If-Unmodified-Since -> 412 PreconditionFailed; then
 * If-None-Match, else If-Modified-Since -> 304 NotModified (GET and HEAD).
 */
export function checkPreconditions(manifest: ObjectManifest, preconditions: Preconditions | undefined): void {
  if (!preconditions) return;
  const { ifMatch, ifNoneMatch, ifModifiedSinceMs, ifUnmodifiedSinceMs } = preconditions;
  const modified = seconds(manifest.lastModifiedMs);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, manifest.etag)) throw failed(`If-Match ${ifMatch} does not match`);
  } else if (ifUnmodifiedSinceMs !== undefined && modified > seconds(ifUnmodifiedSinceMs)) {
    throw failed('the object was modified after If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, manifest.etag)) throw notModified();
  } else if (ifModifiedSinceMs !== undefined && modified <= seconds(ifModifiedSinceMs)) {
    throw notModified();
  }
}

function failed(message: string): StrataError {
  return new StrataError('Conflict', message, { details: { reason: 'PreconditionFailed' } });
}

function notModified(): StrataError {
  return new StrataError('Conflict', 'not modified', { details: { reason: 'NotModified' } });
}

export type RangeRequest = ByteRange | { suffixLength: number } | { start: number };

/** Resolve a requested range against the size; an unsatisfiable one is InvalidArgument/InvalidRange. */
export function resolveRange(range: RangeRequest, sizeBytes: number): ByteRange {
  let start: number;
  let end: number;
  if ('suffixLength' in range) {
    if (!(range.suffixLength > 0) || sizeBytes === 0) throw invalidRange(sizeBytes);
    start = Math.max(0, sizeBytes - range.suffixLength);
    end = sizeBytes - 1;
  } else {
    start = range.start;
    end = 'end' in range ? Math.min(range.end, sizeBytes - 1) : sizeBytes - 1;
    if ('end' in range && range.end < range.start) throw invalidRange(sizeBytes);
  }
  if (!Number.isSafeInteger(start) || start < 0 || start >= sizeBytes || end < start) throw invalidRange(sizeBytes);
  return { start, end };
}

function invalidRange(sizeBytes: number): StrataError {
  return new StrataError('InvalidArgument', 'the requested range is not satisfiable', { details: { reason: 'InvalidRange', sizeBytes } });
}
