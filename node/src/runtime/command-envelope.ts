/**
 * Every proposal carries who proposed it, in which incarnation of its process, and a sequence number,
 * so that the proposing process (and only it) can hand the state machine's result back to the waiting
 * caller when the entry is applied.
 *
 * The incarnation matters because sequence numbers start again at every process start while the log
 * outlives the process: an entry a node proposed before a crash can be committed and applied after the
 * restart, and (node, seq) alone would then name a different, newer proposal of the new process, which
 * would be acknowledged with another command's result without ever being committed itself. Each process
 * draws a random non-zero incarnation, so the ids of its proposals are its own.
 *
 * Layout: [u32 node id][u32 incarnation][u32 seq][payload...], big-endian. Entries written before the
 * incarnation existed held the high word of a sequence number there (always 0 in practice): they decode
 * as incarnation 0, which no running process uses, so they are applied and never answered.
 */
export interface ProposalId {
  nodeId: number;
  /** Random, non-zero, fixed for the life of one process (one Replica). */
  incarnation: number;
  seq: number;
}

const HEADER_BYTES = 12;
const U32_LIMIT = 0x1_0000_0000;

export function wrapCommand(id: ProposalId, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, id.nodeId);
  view.setUint32(4, id.incarnation);
  view.setUint32(8, id.seq);
  out.set(payload, HEADER_BYTES);
  return out;
}

export function unwrapCommand(data: Uint8Array): { id: ProposalId; payload: Uint8Array } | undefined {
  if (data.length < HEADER_BYTES) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const id = { nodeId: view.getUint32(0), incarnation: view.getUint32(4), seq: view.getUint32(8) };
  return { id, payload: data.subarray(HEADER_BYTES) };
}

/** A fresh incarnation for a starting process: uniform in [1, 2^32 - 1]. */
export function newIncarnation(random: { int(bound: number): number }): number {
  return 1 + random.int(U32_LIMIT - 1);
}

/** The next sequence number after `seq`, within u32 and never 0. */
export function nextSeq(seq: number): number {
  return seq + 1 >= U32_LIMIT ? 1 : seq + 1;
}
