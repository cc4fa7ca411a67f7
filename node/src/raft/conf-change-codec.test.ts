import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeConfChange, encodeConfChange } from './conf-change-codec.js';
import { isStrataError } from '../platform/errors.js';
import type { ConfChange } from './types.js';

describe('conf change codec', () => {
  it('round-trips every change type, node id and context bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ConfChange['type']>('addLearner', 'promote', 'remove'),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (type, nodeId, context) => {
          const decoded = decodeConfChange(encodeConfChange({ type, nodeId, context }));
          expect(decoded).toEqual({ type, nodeId, context });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('omits an absent context and keeps the encoding compact', () => {
    const data = encodeConfChange({ type: 'remove', nodeId: 7 });
    expect(data.byteLength).toBe(6);
    expect(decodeConfChange(data)).toEqual({ type: 'remove', nodeId: 7 });
  });

  it('decodes from a view into a larger buffer', () => {
    const inner = encodeConfChange({ type: 'promote', nodeId: 258, context: new Uint8Array([1, 2, 3]) });
    const big = new Uint8Array(inner.byteLength + 10);
    big.set(inner, 5);
    expect(decodeConfChange(big.subarray(5, 5 + inner.byteLength))).toEqual({ type: 'promote', nodeId: 258, context: new Uint8Array([1, 2, 3]) });
  });

  it('rejects garbage and invalid input with stable codes', () => {
    expect(isStrataError(catchErr(() => decodeConfChange(new Uint8Array([9, 9]))), 'Corruption')).toBe(true);
    expect(isStrataError(catchErr(() => decodeConfChange(new Uint8Array([1, 7, 0, 0, 0, 1]))), 'Corruption')).toBe(true);
    expect(isStrataError(catchErr(() => encodeConfChange({ type: 'remove', nodeId: 0 })), 'InvalidArgument')).toBe(true);
  });
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
