/** The `strata` process: real streams, environment and Ctrl-C; everything else is runCli. */
import { runCli } from './run-cli.js';

// Ctrl-C ends `logs --follow` and `--watch` cleanly; anything still running a moment later is cut.
const interrupted = new AbortController();
const interrupt = () => {
  interrupted.abort();
  setTimeout(() => process.exit(130), 1500).unref();
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupted.signal });
process.exitCode = code;
// Open keep-alive connections must not hold the process after the answer is printed.
process.stdout.write('', () => process.exit(code));
