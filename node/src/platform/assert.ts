/**
 * A broken invariant is a bug, not an error to recover from: assert() throws an AssertionFailure that
 * no code catches on purpose, so the process stops loudly.
 */
export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionFailure(typeof message === 'function' ? message() : message);
  }
}
