import { StrataError, type StrataErrorCode } from '../platform/errors.js';

// A Record so the compiler complains here when platform/errors.ts gains a code.
const KNOWN_CODES: Record<StrataErrorCode, true> = {
  NotLeader: true,
  NoLeader: true,
  ProposalDropped: true,
  Timeout: true,
  Unavailable: true,
  CapacityExceeded: true,
  Overloaded: true,
  InvalidArgument: true,
  InvalidConfig: true,
  NotFound: true,
  AlreadyExists: true,
  Conflict: true,
  FailedPrecondition: true,
  ClusterMismatch: true,
  DuplicateNodeId: true,
  Corruption: true,
  Stopped: true,
  Internal: true,
};

/** Codes worth another attempt after a pause: the cluster is electing, busy or starting. */
export const RETRYABLE_CODES: ReadonlySet<StrataErrorCode> = new Set(['NoLeader', 'Timeout', 'Unavailable', 'ProposalDropped', 'Stopped', 'Overloaded']);

function isKnownCode(code: unknown): code is StrataErrorCode {
  return typeof code === 'string' && Object.hasOwn(KNOWN_CODES, code);
}

/** What a status alone means when the body is not our error shape (a proxy, a half-started server). */
function codeForStatus(status: number): StrataErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 502 || status === 503) return 'Unavailable';
  if (status === 504) return 'Timeout';
  if (status === 507) return 'CapacityExceeded';
  if (status >= 400 && status < 500) return 'InvalidArgument';
  return 'Internal';
}

/**
 * Rebuilds the server's StrataError from an admin API error response: the server's code, message
 * and details (plus the endpoint that answered), so callers branch on `code` exactly as in-process.
 */
export function errorFromResponse(status: number, bodyText: string, endpoint: string): StrataError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error !== undefined && typeof error === 'object' && error !== null && typeof error.code === 'string') {
    const code = isKnownCode(error.code) ? error.code : 'Internal';
    const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
    const details = typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {};
    const extra = code === error.code ? {} : { serverCode: error.code };
    return new StrataError(code, message, { retryable: RETRYABLE_CODES.has(code), details: { ...details, ...extra, endpoint, httpStatus: status } });
  }
  const code = codeForStatus(status);
  const snippet = bodyText.trim().slice(0, 200);
  return new StrataError(code, `${endpoint} answered HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`, {
    retryable: RETRYABLE_CODES.has(code),
    details: { endpoint, httpStatus: status },
  });
}
