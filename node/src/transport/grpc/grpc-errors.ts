/**
 * The gRPC boundary for StrataError: a handler's error becomes a gRPC status whose metadata carries the
 * stable code (`x-strata-error-code`), and the client turns it back into a StrataError with the same
 * code, message and retryable flag. Shared by every service on the cluster port.
 */
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { StrataError, type StrataErrorCode } from '../../platform/errors.js';

export const ERROR_CODE_KEY = 'x-strata-error-code';
export const ERROR_RETRYABLE_KEY = 'x-strata-error-retryable';
/** JSON of StrataError.details (e.g. the leader hint of NotLeader), when it serializes. */
export const ERROR_DETAILS_KEY = 'x-strata-error-details';

/** Every code, with the gRPC status that best describes it (also the list of codes we accept back). */
const statusByCode: Record<StrataErrorCode, status> = {
  NotLeader: status.FAILED_PRECONDITION,
  NoLeader: status.UNAVAILABLE,
  ProposalDropped: status.UNAVAILABLE,
  Timeout: status.DEADLINE_EXCEEDED,
  Unavailable: status.UNAVAILABLE,
  CapacityExceeded: status.RESOURCE_EXHAUSTED,
  Overloaded: status.RESOURCE_EXHAUSTED,
  InvalidArgument: status.INVALID_ARGUMENT,
  InvalidConfig: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  Conflict: status.ABORTED,
  FailedPrecondition: status.FAILED_PRECONDITION,
  ClusterMismatch: status.FAILED_PRECONDITION,
  DuplicateNodeId: status.ALREADY_EXISTS,
  Corruption: status.DATA_LOSS,
  Stopped: status.UNAVAILABLE,
  Internal: status.INTERNAL,
};

function isKnownCode(code: string): code is StrataErrorCode {
  return Object.prototype.hasOwnProperty.call(statusByCode, code);
}

/** The status a handler should answer with; non-Strata errors become INTERNAL (their text is kept). */
export function toGrpcError(err: unknown): Partial<StatusObject> {
  const strata =
    err instanceof StrataError
      ? err
      : new StrataError('Internal', err instanceof Error ? err.message : String(err), { cause: err });
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, strata.code);
  metadata.set(ERROR_RETRYABLE_KEY, strata.retryable ? '1' : '0');
  if (Object.keys(strata.details).length > 0) {
    try {
      metadata.set(ERROR_DETAILS_KEY, JSON.stringify(strata.details));
    } catch {
      // Details that do not serialize stay on this side; the code and message still travel.
    }
  }
  return { code: statusByCode[strata.code], details: strata.message, metadata };
}

function firstString(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** Rebuilds the StrataError a peer's handler raised, or classifies a transport failure. */
export function fromGrpcError(err: ServiceError, what: string): StrataError {
  const code = firstString(err.metadata, ERROR_CODE_KEY);
  if (code !== undefined && isKnownCode(code)) {
    let details: Record<string, unknown> = {};
    const json = firstString(err.metadata, ERROR_DETAILS_KEY);
    if (json !== undefined) {
      try {
        details = JSON.parse(json) as Record<string, unknown>;
      } catch {
        details = {};
      }
    }
    return new StrataError(code, err.details, {
      retryable: firstString(err.metadata, ERROR_RETRYABLE_KEY) === '1',
      details,
      cause: err,
    });
  }
  switch (err.code) {
    case status.UNAVAILABLE:
    case status.CANCELLED:
      return new StrataError('Unavailable', `${what}: ${err.details}`, { retryable: true, cause: err });
    case status.DEADLINE_EXCEEDED:
      return new StrataError('Timeout', `${what}: deadline exceeded`, { retryable: true, cause: err });
    case status.RESOURCE_EXHAUSTED:
      return new StrataError('CapacityExceeded', `${what}: ${err.details}`, { retryable: true, cause: err });
    default:
      return new StrataError('Internal', `${what}: ${status[err.code] ?? err.code} ${err.details}`, { cause: err });
  }
}
