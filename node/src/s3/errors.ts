import { AssertionFailure } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';

/**
 * The one table of S3 errors this gateway answers with: code -> HTTP status and default message. Every
 * refusal leaves the gateway as an S3Error with one of these codes, rendered as S3's XML error body.
 */
export const S3_ERRORS = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  AuthorizationQueryParametersError: { status: 400, message: 'Error parsing the X-Amz-Credential parameter.' },
  BadDigest: { status: 400, message: 'The Content-MD5 or checksum you specified did not match what we received.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.' },
  BucketAlreadyOwnedByYou: { status: 409, message: 'Your previous request to create the named bucket succeeded and you already own it.' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed object size.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed object size.' },
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
  InsufficientStorage: { status: 507, message: 'The cluster has no room left for this write.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  InvalidAccessKeyId: { status: 403, message: 'The AWS access key Id you provided does not exist in our records.' },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 or checksum you specified is not valid.' },
  InvalidLocationConstraint: { status: 400, message: 'The specified location constraint is not valid.' },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found, or the ETag did not match.' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order.' },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable.' },
  InvalidRequest: { status: 400, message: 'Invalid Request' },
  KeyTooLongError: { status: 400, message: 'Your key is too long.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  MetadataTooLarge: { status: 400, message: 'Your metadata headers exceed the maximum allowed metadata size.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified multipart upload does not exist.' },
  NotImplemented: { status: 501, message: 'A header or query you provided implies functionality that is not implemented.' },
  NotModified: { status: 304, message: 'Not Modified' },
  PreconditionFailed: { status: 412, message: 'At least one of the preconditions you specified did not hold.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the server time is too large.' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided.' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  XAmzContentSHA256Mismatch: { status: 400, message: 'The provided x-amz-content-sha256 header does not match what was computed.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

export function isS3ErrorCode(code: unknown): code is S3ErrorCode {
  return typeof code === 'string' && Object.hasOwn(S3_ERRORS, code);
}

/** A refusal to answer with S3's error XML. `fields` become extra elements (e.g. BucketName, Key). */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly fields: Record<string, string>;

  constructor(code: S3ErrorCode, message?: string, fields: Record<string, string> = {}, options?: { cause?: unknown }) {
    super(message ?? S3_ERRORS[code].message, options);
    this.name = 'S3Error';
    this.code = code;
    this.status = S3_ERRORS[code].status;
    this.fields = fields;
  }
}

export interface MappedError {
  error: S3Error;
  /** Not an expected refusal: log it (once, at the boundary) and hide its text from the caller. */
  unexpected: boolean;
}

const NOT_FOUND: Record<string, S3ErrorCode> = { bucket: 'NoSuchBucket', object: 'NoSuchKey', upload: 'NoSuchUpload', part: 'InvalidPart' };

/** Any failure -> the S3 error to answer with. ObjectService's StrataErrors follow ports/object-service.ts. */
export function toS3Error(err: unknown): MappedError {
  if (err instanceof S3Error) return { error: err, unexpected: false };
  if (err instanceof StrataError) {
    const reason = err.details.reason;
    switch (err.code) {
      case 'NotFound': {
        const code = NOT_FOUND[String(err.details.resource)];
        return code === undefined ? unexpected(err) : { error: new S3Error(code, undefined, {}, { cause: err }), unexpected: false };
      }
      case 'AlreadyExists':
        return { error: new S3Error('BucketAlreadyOwnedByYou', undefined, {}, { cause: err }), unexpected: false };
      case 'Conflict':
      case 'InvalidArgument': {
        if (isS3ErrorCode(reason) && S3_ERRORS[reason].status < 500) {
          return { error: new S3Error(reason, err.code === 'InvalidArgument' ? err.message : undefined, {}, { cause: err }), unexpected: false };
        }
        return err.code === 'InvalidArgument'
          ? { error: new S3Error('InvalidArgument', err.message, {}, { cause: err }), unexpected: false }
          : unexpected(err);
      }
      case 'CapacityExceeded':
        return { error: new S3Error('InsufficientStorage', undefined, {}, { cause: err }), unexpected: false };
      case 'NotLeader':
      case 'NoLeader':
      case 'ProposalDropped':
      case 'Overloaded':
        return { error: new S3Error('SlowDown', undefined, {}, { cause: err }), unexpected: false };
      case 'Unavailable':
      case 'Timeout':
      case 'Stopped':
        return { error: new S3Error('ServiceUnavailable', 'The service is unavailable: ' + err.message, {}, { cause: err }), unexpected: false };
      default:
        return unexpected(err);
    }
  }
  if (err instanceof AssertionFailure) return unexpected(err);
  // koa/http-errors for client mistakes such as a malformed %-escape in the path.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { error: new S3Error('InvalidRequest', (err as Error).message, {}, { cause: err }), unexpected: false };
  }
  return unexpected(err);
}

function unexpected(err: unknown): MappedError {
  return { error: new S3Error('InternalError', undefined, {}, { cause: err }), unexpected: true };
}
