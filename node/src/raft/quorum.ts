/** Majority arithmetic over the voters (learners never count). */
import type { NodeId } from './types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** The largest index that a majority of voters has reached (0 with no voters). */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  if (n === 1) return matchOf(voters[0]);
  const matches = new Array<number>(n);
  for (let i = 0; i < n; i++) matches[i] = matchOf(voters[i]);
  matches.sort((a, b) => b - a);
  return matches[quorumSize(n) - 1];
}

/** The outcome of an election (or of a round of acks) given the answers received so far. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return 'won';
  if (voters.length - rejected < q) return 'lost';
  return 'pending';
}

/** True when a majority of voters satisfies `has`. */
export function hasQuorum(voters: readonly NodeId[], has: (id: NodeId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (has(id)) count++;
  return count >= quorumSize(voters.length);
}
