import { StrataError, type StrataErrorCode } from '../platform/errors.js';

/**
 * Why a forwarded proposal was refused, as carried by a 'propDropped' message back to its proposer:
 * the refusal's code, message and whether waiting lifts it (e.g. a leadership transfer, no leader
 * known, too many uncommitted bytes).
 */
export function encodeDropReason(err: StrataError): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ code: err.code, message: err.message, retryable: err.retryable }));
}

/** The refusal again; a reason that cannot be read counts as a retryable ProposalDropped. */
export function decodeDropReason(context: Uint8Array | undefined): StrataError {
  try {
    const { code, message, retryable } = JSON.parse(new TextDecoder().decode(context)) as { code: StrataErrorCode; message: string; retryable: boolean };
    if (typeof code === 'string' && typeof message === 'string') return new StrataError(code, message, { retryable: retryable === true });
  } catch {
    // fall through
  }
  return new StrataError('ProposalDropped', 'the leader refused the proposal', { retryable: true });
}
