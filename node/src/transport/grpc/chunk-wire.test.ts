import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PutChunkRequest, ReadBlocksResponse } from './generated/strata/cluster/v1/chunks.js';
import {
  allocBlockBuffer,
  BLOCK_MESSAGE_HEADROOM,
  deserializePutChunkRequest,
  deserializeReadBlocksResponse,
  serializePutChunkRequest,
  serializeReadBlocksResponse,
} from './chunk-wire.js';

const blockArb = fc.record({ data: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), crc32c: fc.nat({ max: 0xffff_ffff }) });

describe('chunk-wire', () => {
  it('encodes block messages that the generated code decodes, and decodes what the generated code encodes', () => {
    fc.assert(
      fc.property(blockArb, (block) => {
        const put = serializePutChunkRequest({ block });
        expect(PutChunkRequest.decode(put)).toEqual({ block });
        expect(deserializePutChunkRequest(Buffer.from(PutChunkRequest.encode({ block }).finish()))).toEqual({ block });
        const read = serializeReadBlocksResponse({ block });
        expect(ReadBlocksResponse.decode(read)).toEqual({ block });
        expect(deserializeReadBlocksResponse(Buffer.from(ReadBlocksResponse.encode({ block }).finish()))).toEqual({ block });
        expect(deserializeReadBlocksResponse(read)).toEqual({ block });
      }),
      { numRuns: 200 },
    );
  });

  it('sends a block read into allocBlockBuffer without copying it, as the same bytes as a copied one', () => {
    fc.assert(
      fc.property(blockArb, (block) => {
        const buf = allocBlockBuffer(block.data.byteLength);
        buf.fill(0xee, 0, BLOCK_MESSAGE_HEADROOM);
        const data = buf.subarray(BLOCK_MESSAGE_HEADROOM, BLOCK_MESSAGE_HEADROOM + block.data.byteLength);
        data.set(block.data);
        const inPlace = serializeReadBlocksResponse({ block: { data, crc32c: block.crc32c } });
        expect(inPlace.equals(serializeReadBlocksResponse({ block }))).toBe(true);
        if (block.data.byteLength > 0) expect(inPlace.buffer).toBe(buf.buffer);
        expect(data.equals(block.data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('copies any other view of a block buffer, so the bytes before it are never overwritten', () => {
    const buf = allocBlockBuffer(100);
    buf.fill(5);
    const later = buf.subarray(BLOCK_MESSAGE_HEADROOM + 20, BLOCK_MESSAGE_HEADROOM + 60);
    const message = serializeReadBlocksResponse({ block: { data: later, crc32c: 9 } });
    expect(message.buffer).not.toBe(buf.buffer);
    expect(buf.equals(Buffer.alloc(buf.byteLength, 5))).toBe(true);
    expect(deserializeReadBlocksResponse(message)).toEqual({ block: { data: Buffer.alloc(40, 5), crc32c: 9 } });
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
