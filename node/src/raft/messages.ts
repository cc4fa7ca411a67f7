/** Small helpers to build messages and classify their types. */
import type { Message, MessageType, NodeId } from './types.js';

/** Marks a vote request of a leadership transfer: it overrides the leader lease of check-quorum. */
export const CAMPAIGN_TRANSFER: Uint8Array = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]); // "transfer"

export function isTransferContext(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== CAMPAIGN_TRANSFER.byteLength) return false;
  for (let i = 0; i < context.byteLength; i++) if (context[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}

export type MessageFields = Partial<Message> & { type: MessageType; to: NodeId };

export function makeMessage(fields: MessageFields): Message {
  return {
    from: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

export function voteRespType(type: MessageType): MessageType {
  return type === 'preVote' ? 'preVoteResp' : 'voteResp';
}

/** Messages whose term is chosen explicitly (a vote for a future term, a pre-vote answer). */
export function carriesOwnTerm(type: MessageType): boolean {
  return type === 'vote' || type === 'voteResp' || type === 'preVote' || type === 'preVoteResp';
}

/** Messages that travel with term 0 and are handled whatever the receiver's term (forwarded requests). */
export function isTermless(type: MessageType): boolean {
  return type === 'prop' || type === 'readIndex' || type === 'propDropped';
}

/** A short human-readable line for traces, e.g. "1->2 app term=2 idx=5 n=3". */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      s += ` idx=${m.index} logTerm=${m.logTerm} n=${m.entries.length} commit=${m.commit}`;
      break;
    case 'appResp':
      s += m.reject ? ` reject idx=${m.index} hint=${m.rejectHint} hintTerm=${m.logTerm}` : ` idx=${m.index}`;
      break;
    case 'vote':
    case 'preVote':
      s += ` lastIdx=${m.index} lastTerm=${m.logTerm}`;
      break;
    case 'voteResp':
    case 'preVoteResp':
      s += m.reject ? ' reject' : ' granted';
      break;
    case 'snap':
      s += ` snapIdx=${m.snapshot?.metadata.index ?? 0} snapTerm=${m.snapshot?.metadata.term ?? 0}`;
      break;
    case 'heartbeat':
      s += ` commit=${m.commit}`;
      break;
    case 'prop':
    case 'propDropped':
      s += ` n=${m.entries.length}`;
      break;
    case 'readIndexResp':
      s += ` idx=${m.index}`;
      break;
    default:
      break;
  }
  return s;
}
