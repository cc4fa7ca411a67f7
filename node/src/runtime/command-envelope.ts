/**
 * Every proposal carries who proposed it and a sequence number, so that the proposing node (and only it)
 * can hand the state machine's result back to the waiting caller when the entry is applied.
 * Layout: [u32 node id][u32 seq high][u32 seq low][payload...], big-endian.
 */
export interface ProposalId {
  nodeId: number;
  seq: number;
}

const HEADER_BYTES = 12;

export function wrapCommand(id: ProposalId, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, id.nodeId);
  view.setUint32(4, Math.floor(id.seq / 0x1_0000_0000));
  view.setUint32(8, id.seq >>> 0);
  out.set(payload, HEADER_BYTES);
  return out;
}

export function unwrapCommand(data: Uint8Array): { id: ProposalId; payload: Uint8Array } | undefined {
  if (data.length < HEADER_BYTES) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nodeId = view.getUint32(0);
  const seq = view.getUint32(4) * 0x1_0000_0000 + view.getUint32(8);
  return { id: { nodeId, seq }, payload: data.subarray(HEADER_BYTES) };
}
