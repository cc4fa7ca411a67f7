/**
 * Time as the rest of the code sees it. Only platform/real reads the wall clock or sets real timers;
 * the simulator supplies a virtual clock with the same shape.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since an arbitrary, monotonic origin. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch (for timestamps shown to people and stored in metadata). */
  wallMs(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  setInterval(callback: () => void, periodMs: number): TimerHandle;
}
