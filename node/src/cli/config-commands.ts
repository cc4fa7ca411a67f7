import type { Command } from 'commander';
import { action } from './command-action.js';
import type { CliIo } from './cli-io.js';
import { errorText, failIfAnyFailed, onEachNode } from './per-node.js';
import { formatTable } from './table.js';

/** `strata config set KEY VALUE [--node NODE]`: a run-time setting on every node (or one), each reported. */
export function registerConfigCommands(program: Command, io: CliIo): void {
  program
    .command('config')
    .description('run-time settings of running nodes')
    .command('set')
    .description('change a setting (e.g. log_level debug) on every node, or on --node NODE')
    .argument('<key>', 'setting, e.g. log_level')
    .argument('<value>', 'new value')
    .option('--node <node>', 'only this node (node-<id> or <id>)')
    .action(
      action(io, async (ctx, [key, value], opts) => {
        const { targets } = await ctx.nodeTargets(opts.node as string | undefined);
        const outcomes = await onEachNode(targets, (n) => ctx.client.setSetting(key, value, { endpoint: n.adminUrl }));
        if (ctx.json) {
          ctx.printJson(outcomes.map((o) => (o.ok ? { node: o.node.name, ...o.value } : { node: o.node.name, key, error: errorText(o.error) })));
        } else {
          ctx.out(
            formatTable(
              ['NODE', 'KEY', 'VALUE', 'PREVIOUS', 'RESULT'],
              outcomes.map((o) => (o.ok ? [o.node.name, key, o.value.value, o.value.previous, 'ok'] : [o.node.name, key, value, '', `error: ${errorText(o.error)}`])),
            ),
          );
        }
        failIfAnyFailed(outcomes, 'config set');
      }),
    );
}
