/**
 * StrataError: every expected failure carries a stable `code` that callers branch on (never the message),
 * whether retrying can help, and the error that caused it.
 */
export type StrataErrorCode =
  | 'NotLeader'
  | 'NoLeader'
  | 'ProposalDropped'
  | 'Timeout'
  | 'Unavailable'
  | 'CapacityExceeded'
  /** This node has as much work of the kind as it takes at once, and the request waited its turn too long. */
  | 'Overloaded'
  | 'InvalidArgument'
  | 'InvalidConfig'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  /** The request is valid but the cluster is not in a state that allows it (e.g. removing an undrained node). */
  | 'FailedPrecondition'
  | 'ClusterMismatch'
  | 'DuplicateNodeId'
  | 'Corruption'
  | 'Stopped'
  | 'Internal';

export interface StrataErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts for the boundary that reports the error (e.g. the leader hint of NotLeader). */
  details?: Record<string, unknown>;
}

export class StrataError extends Error {
  readonly code: StrataErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: StrataErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isStrataError(err: unknown, code?: StrataErrorCode): err is StrataError {
  return err instanceof StrataError && (code === undefined || err.code === code);
}
