/**
 * The first bytes of a request body, read without a stripe buffer: enough to learn whether the body
 * fits inline (a small PUT then never allocates a 1 MiB stripe). `replay()` gives the whole body back,
 * the bytes already read first, for the erasure path. At most limitBytes plus one piece is held.
 */
export interface BodyHead {
  pieces: Uint8Array[];
  bytes: number;
  /** The body ended within the limit: `pieces` is all of it. */
  ended: boolean;
  replay(): AsyncIterable<Uint8Array>;
}

/** Reads pieces until more than `limitBytes` were read or the body ends. */
export async function readBodyHead(body: AsyncIterable<Uint8Array>, limitBytes: number): Promise<BodyHead> {
  const iterator = body[Symbol.asyncIterator]();
  const pieces: Uint8Array[] = [];
  let bytes = 0;
  let ended = false;
  while (bytes <= limitBytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    pieces.push(Buffer.from(next.value)); // a copy: a producer may reuse its buffer on the next read
    bytes += next.value.byteLength;
  }
  const replay = async function* (): AsyncGenerator<Uint8Array> {
    yield* pieces;
    if (!ended) yield* { [Symbol.asyncIterator]: () => iterator };
  };
  return { pieces, bytes, ended, replay };
}
