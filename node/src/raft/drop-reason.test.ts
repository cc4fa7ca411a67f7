import { describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { decodeDropReason, encodeDropReason } from './drop-reason.js';

describe('drop reason', () => {
  it('round-trips the refusal and reads anything else as a retryable ProposalDropped', () => {
    const refusal = new StrataError('NotLeader', 'no leader is known', { retryable: true });
    expect(decodeDropReason(encodeDropReason(refusal))).toMatchObject({ code: 'NotLeader', message: 'no leader is known', retryable: true });
    const final = new StrataError('InvalidArgument', 'bad change');
    expect(decodeDropReason(encodeDropReason(final))).toMatchObject({ code: 'InvalidArgument', retryable: false });
    for (const garbage of [undefined, new Uint8Array([1, 2, 3]), new TextEncoder().encode('{"code":1}')]) {
      expect(decodeDropReason(garbage)).toMatchObject({ code: 'ProposalDropped', retryable: true });
    }
  });
});
