import type { ClusterStatus, NodeStatus } from '../client/index.js';
import { StrataError } from '../platform/errors.js';
import { UsageError } from './usage-error.js';

/** `node-4` or `4` -> 4; anything else is a usage mistake. */
export function parseNodeRef(text: string): number {
  const digits = text.trim().replace(/^node-/, '');
  if (/^[1-9]\d{0,9}$/.test(digits) && Number(digits) <= 2 ** 31 - 1) return Number(digits);
  throw new UsageError(`NODE must be node-<id> or <id> (e.g. node-4 or 4), got ${JSON.stringify(text)}`);
}

/** The member named by `text`; an unknown node is one line naming it (NotFound). */
export function findNode(status: ClusterStatus, text: string): NodeStatus {
  const id = parseNodeRef(text);
  const node = status.nodes.find((n) => n.id === id);
  if (node === undefined) {
    const known = status.nodes.map((n) => n.name).join(', ');
    throw new StrataError('NotFound', `node-${id} is not a member of cluster ${status.clusterId} (members: ${known})`, { details: { nodeId: id } });
  }
  return node;
}
