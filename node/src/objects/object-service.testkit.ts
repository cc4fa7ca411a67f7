import { SystemClock } from '../platform/real/system-clock.js';
import { SeededRandom } from '../platform/random.js';
import type { PlacementNode } from '../placement/placement.js';
import { InMemoryChunkStoreDirectory } from './in-memory-chunk-store.testkit.js';
import { LocalMetadata } from './local-metadata.testkit.js';
import type { ObjectServiceOptions } from './object-service-options.js';
import { StrataObjectService } from './strata-object-service.js';

/** A StrataObjectService over in-memory chunk stores on `nodes` nodes and a LocalMetadata, bucket 'b' created. */
export async function objectServiceHarness(options: { nodes?: number } & Partial<ObjectServiceOptions> = {}) {
  const nodeIds = Array.from({ length: options.nodes ?? 6 }, (_, i) => i + 1);
  const clock = options.clock ?? new SystemClock();
  const metadata = new LocalMetadata();
  const stores = new InMemoryChunkStoreDirectory(nodeIds, () => clock.wallMs());
  const placementView = async (): Promise<PlacementNode[]> =>
    nodeIds.map((id) => ({ id, state: 'active', online: !stores.forNode(id).faults.down, availableBytes: 2 ** 40 }));
  const service = new StrataObjectService({
    selfId: 1,
    metadata,
    chunkStores: stores,
    placementView,
    clock,
    random: new SeededRandom(42),
    stripeDataBytes: 4096,
    inlineThresholdBytes: 1024,
    readTimeoutMs: 300,
    writeTimeoutMs: 300,
    placementWaitMs: 300,
    ...options,
  });
  await service.createBucket('b');
  return { service, metadata, stores, nodeIds, clock };
}

/** Deterministic bytes. */
export function pattern(length: number, salt = 1): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + salt * 17 + (i >> 9)) & 0xff;
  return out;
}

/** A body in uneven pieces (so stripes never line up with what the client sends). */
export async function* bodyOf(data: Uint8Array, pieceBytes = 1000): AsyncGenerator<Uint8Array> {
  for (let offset = 0, n = 0; offset < data.byteLength; n++) {
    const size = pieceBytes + (n % 3) * 37;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of body) pieces.push(piece);
  return Buffer.concat(pieces);
}
