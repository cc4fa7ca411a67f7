import { Command, CommanderError } from 'commander';
import { isStrataError, type StrataErrorCode } from '../platform/errors.js';
import { BUILD_VERSION } from '../platform/real/build-version.js';
import { registerBackupCommands } from './backup-commands.js';
import { DEFAULT_ENDPOINT } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { registerClusterCommands } from './cluster-commands.js';
import { registerConfigCommands } from './config-commands.js';
import { registerLogsCommand } from './logs-command.js';
import { registerScrubCommands } from './scrub-commands.js';
import { registerStorageCommands } from './storage-commands.js';
import { UsageError } from './usage-error.js';

export const EXIT_OK = 0;
/** The cluster refused or failed (unknown node, not drained, no leader, unreachable, ...). */
export const EXIT_CLUSTER_ERROR = 1;
/** The command line was wrong. */
export const EXIT_USAGE = 2;

/** What to do next, for errors an operator can act on (the code's name stays in the line: the guide uses it). */
const NO_LEADER_HINT = 'a majority of the metadata (voter) nodes must be running and reachable; see strata cluster status';
const HINTS: Partial<Record<StrataErrorCode, string>> = {
  NoLeader: NO_LEADER_HINT,
  // Reaching the user after the client followed every hint: no node knows a leader it can name.
  NotLeader: NO_LEADER_HINT,
  CapacityExceeded: 'add data nodes or delete data; see strata storage status',
};

/**
 * The `strata` CLI: parses argv, runs one command against the admin API, prints, and returns the exit
 * code. It never calls process.exit, so tests run it in-process with their own writers.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    return report(err, io);
  }
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('strata')
    .description('operate a Strata cluster through its admin API (port 9090)')
    .option('--endpoint <urls>', `admin URL(s) of any node(s), comma-separated (env STRATA_ENDPOINT; default ${DEFAULT_ENDPOINT})`)
    .option('--json', 'print the raw JSON answer, for scripts')
    .version(`strata ${BUILD_VERSION}`, '--version', 'print the version of this CLI')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Errors are reported once, by report(), as `strata: ...`.
      outputError: () => undefined,
    });
  // Subcommands copy these settings (exit override, output) when they are created below.
  registerClusterCommands(program, io);
  registerStorageCommands(program, io);
  registerBackupCommands(program, io);
  registerScrubCommands(program, io);
  registerLogsCommand(program, io);
  registerConfigCommands(program, io);
  return program;
}

function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT_OK;
    // `commander.help`: a command group without a subcommand; its help went to stderr already.
    if (err.code !== 'commander.help') io.stderr.write(`strata: ${oneLine(err.message.replace(/^error: /, ''))}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    io.stderr.write(`strata: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (isStrataError(err)) {
    const hint = HINTS[err.code];
    io.stderr.write(`strata: ${err.code}: ${oneLine(err.message)}${hint === undefined ? '' : ` (${hint})`}\n`);
    return EXIT_CLUSTER_ERROR;
  }
  io.stderr.write(`strata: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
  return EXIT_CLUSTER_ERROR;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
