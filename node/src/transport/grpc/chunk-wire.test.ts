import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PutChunkRequest, ReadBlocksResponse } from './generated/strata/cluster/v1/chunks.js';
import { deserializePutChunkRequest, deserializeReadBlocksResponse, serializePutChunkRequest, serializeReadBlocksResponse } from './chunk-wire.js';

const blockArb = fc.record({ data: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), crc32c: fc.nat({ max: 0xffff_ffff }) });

describe('chunk-wire', () => {
  it('encodes block messages byte for byte like the generated code, and decodes them back', () => {
    fc.assert(
      fc.property(blockArb, (block) => {
        const put = serializePutChunkRequest({ block });
        expect(put.equals(Buffer.from(PutChunkRequest.encode({ block }).finish()))).toBe(true);
        expect(deserializePutChunkRequest(put)).toEqual(PutChunkRequest.decode(put));
        const read = serializeReadBlocksResponse({ block });
        expect(read.equals(Buffer.from(ReadBlocksResponse.encode({ block }).finish()))).toBe(true);
        expect(deserializeReadBlocksResponse(read)).toEqual(ReadBlocksResponse.decode(read));
      }),
      { numRuns: 200 },
    );
  });

  it('encodes the upload header like the generated code', () => {
    const header = { chunkId: 'abc.3', blockSizeBytes: 524288, expectedBytes: 2 ** 40 + 7 };
    const bytes = serializePutChunkRequest({ header });
    expect(bytes.equals(Buffer.from(PutChunkRequest.encode({ header }).finish()))).toBe(true);
    expect(deserializePutChunkRequest(bytes)).toEqual({ header });
  });

  it('decodes a block as a view of the frame, not a copy', () => {
    const frame = serializeReadBlocksResponse({ block: { data: Buffer.alloc(1000, 7), crc32c: 1 } });
    const decoded = deserializeReadBlocksResponse(frame);
    expect(decoded.block?.data.buffer).toBe(frame.buffer);
  });
});
