import type { NodeStatus } from '../client/index.js';
import { isStrataError } from '../platform/errors.js';

export type NodeTarget = NodeStatus & { adminUrl: string };

export type NodeOutcome<T> = { node: NodeTarget; ok: true; value: T } | { node: NodeTarget; ok: false; error: Error };

/** Runs one call on each node at once; each node's answer or error is kept, none stops the others. */
export async function onEachNode<T>(targets: readonly NodeTarget[], call: (node: NodeTarget) => Promise<T>): Promise<NodeOutcome<T>[]> {
  return Promise.all(
    targets.map(async (node): Promise<NodeOutcome<T>> => {
      try {
        return { node, ok: true, value: await call(node) };
      } catch (err) {
        return { node, ok: false, error: err as Error };
      }
    }),
  );
}

/** `Code: message` of an error as the CLI prints it. */
export function errorText(err: unknown): string {
  if (isStrataError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The failures of a per-node run as one line, e.g. `InvalidArgument: unknown setting (on node-1, node-2)`. */
export function failureSummary<T>(outcomes: readonly NodeOutcome<T>[]): string | undefined {
  const failed = outcomes.filter((o): o is Extract<NodeOutcome<T>, { ok: false }> => !o.ok);
  if (failed.length === 0) return undefined;
  const byText = new Map<string, string[]>();
  for (const f of failed) {
    const text = errorText(f.error);
    byText.set(text, [...(byText.get(text) ?? []), f.node.name]);
  }
  return [...byText.entries()].map(([text, names]) => `${text} (on ${names.join(', ')})`).join('; ');
}

/** Throws one line summing up the failures (the run exits 1), when any node failed. */
export function failIfAnyFailed<T>(outcomes: readonly NodeOutcome<T>[], what: string): void {
  const summary = failureSummary(outcomes);
  if (summary === undefined) return;
  const failed = outcomes.filter((o) => !o.ok).length;
  const single = outcomes.length === 1 && !outcomes[0].ok ? outcomes[0].error : undefined;
  // One node asked: its own error, exactly as any other command would report it.
  if (single !== undefined) throw single;
  throw new Error(`${what} failed on ${failed} of ${outcomes.length} nodes: ${summary}`);
}
