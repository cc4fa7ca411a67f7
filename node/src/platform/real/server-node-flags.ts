/**
 * The Node.js flags strata-server runs with (decision 0028). They act only when given to `node` at
 * start, so they cannot be set from main.ts: bin/strata-server.js carries them in its shebang
 * (`#!/usr/bin/env -S node ...`), and whatever starts the server with an explicit node binary (the
 * local cluster, the benchmarks) passes them itself.
 *
 * `--no-memory-reducer`: after an idle spell V8's memory reducer collects, and from then on grows the
 * heap slowly, so a burst of traffic after a quiet minute ran with a full GC every few hundred ms.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/** The flags of SERVER_NODE_FLAGS this process was not started with. */
export function missingServerNodeFlags(execArgv: readonly string[]): string[] {
  return SERVER_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
