/**
 * The CRD's cross-field and transition rules, in TypeScript. The API server enforces them with CEL; the
 * operator checks again so an object that slipped past (created before a rule existed, or through a
 * server without CEL) is reported in a condition instead of acted on. Messages are the CRD's, word for word.
 */
import type { StrataClusterSpec } from './strata-cluster.js';
import { resolveStrataClusterSpec } from './defaults.js';
import { nodeIdOfName } from './naming.js';

export interface SpecProblem {
  /** JSON path of the field, e.g. `spec.drain[1]`. */
  field: string;
  message: string;
}

const DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** Milliseconds of a Go duration as the CRD's pattern accepts it, or undefined. */
export function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  if (text === '0') return 0;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

/** Problems of one spec on its own (creation). Empty when the API server would accept it. */
export function validateSpec(input: StrataClusterSpec): SpecProblem[] {
  const spec = resolveStrataClusterSpec(input);
  const problems: SpecProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const width = spec.erasure.dataShards + spec.erasure.parityShards;

  if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > 64) add('spec.nodes', 'spec.nodes must be an integer in 1..64');
  if (width > spec.nodes) {
    add('spec.erasure', 'spec.erasure.dataShards + spec.erasure.parityShards must not exceed spec.nodes (a stripe needs that many distinct nodes)');
  }
  const seen = new Set<string>();
  (input.drain ?? []).forEach((name, i) => {
    const id = nodeIdOfName(name);
    if (id === undefined) add(`spec.drain[${i}]`, `spec.drain[${i}]: "${name}" is not a node name node-N`);
    else if (id > spec.nodes) add('spec.drain', 'spec.drain: every node-N must name an existing node (N <= spec.nodes)');
    if (seen.has(name)) add(`spec.drain[${i}]`, `spec.drain[${i}]: duplicate "${name}"`);
    seen.add(name);
  });
  if (spec.nodes - (input.drain ?? []).length < width) {
    add('spec.drain', 'spec.drain: at least spec.erasure.dataShards + spec.erasure.parityShards nodes must stay undrained');
  }
  const voters = spec.config.metadata?.voters;
  if (voters !== undefined && voters > spec.nodes) add('spec.config.metadata.voters', 'spec.config.metadata.voters must not exceed spec.nodes');
  const min = spec.config.metadata?.election_timeout_min;
  const max = spec.config.metadata?.election_timeout_max;
  if (min !== undefined && max !== undefined) {
    const a = durationMs(min);
    const b = durationMs(max);
    if (a !== undefined && b !== undefined && a >= b) {
      add('spec.config.metadata', 'spec.config.metadata.election_timeout_min must be shorter than election_timeout_max');
    }
  }
  if (spec.s3.port === 9000 || spec.s3.port === 9090) add('spec.s3.port', 'spec.s3.port must not be 9000 (cluster port) or 9090 (admin port)');
  return problems;
}

/** Problems of a change from `before` to `after` (update): the immutable fields, then `after` on its own. */
export function validateUpdate(before: StrataClusterSpec, after: StrataClusterSpec): SpecProblem[] {
  const old = resolveStrataClusterSpec(before);
  const next = resolveStrataClusterSpec(after);
  const problems: SpecProblem[] = [];
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (a !== b) problems.push({ field, message: `${field} is immutable after creation` });
  };
  immutable('spec.erasure.dataShards', old.erasure.dataShards, next.erasure.dataShards);
  immutable('spec.erasure.parityShards', old.erasure.parityShards, next.erasure.parityShards);
  immutable('spec.storage.size', old.storage.size, next.storage.size);
  immutable('spec.storage.storageClassName', old.storage.storageClassName ?? '', next.storage.storageClassName ?? '');
  return [...problems, ...validateSpec(after)];
}
