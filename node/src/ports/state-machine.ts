/**
 * The replicated state machine the runtime drives (meta/ implements it). apply() must be deterministic:
 * the same entries in the same order give the same state and results on every node.
 */
export interface StateMachine<Result = unknown> {
  /** Apply one committed command; the result goes back to whoever proposed it. */
  apply(index: number, command: Uint8Array): Result;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}
