import { AssertionFailure } from '../platform/assert.js';
import { StrataError, type StrataErrorCode } from '../platform/errors.js';

/** The one error shape of the admin API. client/ mirrors it. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** A bug or an unexpected failure (logged at error level), rather than an expected refusal. */
  unexpected: boolean;
}

/** Header that carries NotLeader's hint: the leader's admin URL when known, else its node id. */
export const LEADER_HEADER = 'x-strata-leader';

const STATUS: Partial<Record<StrataErrorCode, number>> = {
  NoLeader: 503,
  Unavailable: 503,
  ProposalDropped: 503,
  Overloaded: 503,
  Stopped: 503,
  Timeout: 504,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  FailedPrecondition: 409,
  InvalidArgument: 400,
  InvalidConfig: 400,
  CapacityExceeded: 507,
};

/**
 * NotLeader details, by convention of whoever throws it (the runtime): `leaderId` (0 or absent when
 * unknown) and `leaderUrl` (the leader's admin base URL, e.g. http://10.0.0.3:9090) when known.
 * With a hint the answer is 421 Misdirected Request ("ask the leader"); without one it is 503.
 */
function notLeaderResponse(err: StrataError): Pick<ErrorResponse, 'status' | 'headers'> {
  const leaderUrl = typeof err.details.leaderUrl === 'string' && err.details.leaderUrl !== '' ? err.details.leaderUrl : undefined;
  const leaderId = typeof err.details.leaderId === 'number' && err.details.leaderId > 0 ? err.details.leaderId : undefined;
  const hint = leaderUrl ?? (leaderId === undefined ? undefined : String(leaderId));
  return hint === undefined ? { status: 503, headers: {} } : { status: 421, headers: { [LEADER_HEADER]: hint } };
}

/**
 * A route whose sub-service this node was not built with: Unavailable, but answered 501 (Not
 * Implemented) so clients see it is about this node's build, not a passing outage.
 */
export function notAvailable(service: string, what: string): StrataError {
  return new StrataError('Unavailable', `${what} is not available on this node`, { details: { service, notAvailable: true } });
}

export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof StrataError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, details: err.details } };
    if (err.code === 'NotLeader') return { ...notLeaderResponse(err), body, unexpected: false };
    if (err.code === 'Unavailable' && err.details.notAvailable === true) return { status: 501, body, headers: {}, unexpected: false };
    const status = STATUS[err.code] ?? 500;
    return { status, body, headers: {}, unexpected: status === 500 };
  }
  // koa and the router throw http-errors (e.g. a malformed %-escape in a path): expected client mistakes.
  const httpStatus = (err as { status?: unknown; expose?: unknown } | null)?.status;
  if (!(err instanceof AssertionFailure) && typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500) {
    const code: StrataErrorCode = httpStatus === 404 ? 'NotFound' : 'InvalidArgument';
    return { status: httpStatus, body: { error: { code, message: (err as Error).message, details: {} } }, headers: {}, unexpected: false };
  }
  // Never echo an unexpected error's text to the caller; it is logged instead.
  return { status: 500, body: { error: { code: 'Internal', message: 'internal error', details: {} } }, headers: {}, unexpected: true };
}
