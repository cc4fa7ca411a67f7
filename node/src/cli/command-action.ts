import type { Command } from 'commander';
import { CliContext, type GlobalOptions } from './cli-context.js';
import type { CliIo } from './cli-io.js';

export type ActionBody = (ctx: CliContext, args: string[], options: Record<string, unknown>) => Promise<void>;

/** Adapts a command body to commander's action signature, with a context built from the global options. */
export function action(io: CliIo, body: ActionBody): (...params: unknown[]) => Promise<void> {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const ctx = new CliContext(io, command.optsWithGlobals() as GlobalOptions);
    await body(ctx, command.processedArgs as string[], command.opts());
  };
}
