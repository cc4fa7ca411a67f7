/** Where the CLI writes (a process stream, or a collector in tests). */
export interface TextSink {
  write(text: string): unknown;
  /** Progress bars redraw in place only on a terminal; elsewhere each poll prints one line. */
  isTTY?: boolean;
}

/** Everything the CLI takes from its surroundings, so tests run the real entry in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Record<string, string | undefined>;
  /** Pause between polls of --watch. Default 1000 ms. */
  watchIntervalMs?: number;
  /** Waits between polls; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock in ms; default Date.now (for --since and log times). */
  nowMs?: () => number;
  /** Ends `logs --follow` (the process wires SIGINT to it). */
  signal?: AbortSignal;
}

export function resolveCliIo(io: CliIo): Required<Omit<CliIo, 'signal'>> & Pick<CliIo, 'signal'> {
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    watchIntervalMs: io.watchIntervalMs ?? 1000,
    sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    nowMs: io.nowMs ?? (() => Date.now()),
    signal: io.signal,
  };
}
