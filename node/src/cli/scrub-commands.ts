import type { Command } from 'commander';
import type { ScrubStatus } from '../client/index.js';
import { action } from './command-action.js';
import type { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { formatBytes, formatPercent, formatTime } from './format.js';
import { errorText, failIfAnyFailed, onEachNode, type NodeOutcome, type NodeTarget } from './per-node.js';
import { formatTable } from './table.js';
import { showProgress } from './watch-progress.js';

/** `strata scrub start|status`: every node's scrubber (or one with --node). */
export function registerScrubCommands(program: Command, io: CliIo): void {
  const scrub = program.command('scrub').description('verify the checksums of stored chunks and repair bad ones');

  scrub
    .command('start')
    .description('start a scrub pass now on every node (or --node NODE)')
    .option('--node <node>', 'only this node (node-<id> or <id>)')
    .option('--watch', 'then follow the passes until they end')
    .action(
      action(io, async (ctx, _args, opts) => {
        const { targets } = await ctx.nodeTargets(opts.node as string | undefined);
        const started = await onEachNode(targets, (n) => ctx.client.scrubStart({ endpoint: n.adminUrl }));
        if (opts.watch === true && started.every((o) => o.ok)) {
          await watchScrub(ctx, targets, true);
          return;
        }
        printScrub(ctx, started);
        failIfAnyFailed(started, 'scrub start');
      }),
    );

  scrub
    .command('status')
    .description("each node's scrubber: state, progress, errors found and repaired, next run")
    .option('--node <node>', 'only this node (node-<id> or <id>)')
    .option('--watch', 'follow with progress bars until every pass ends')
    .action(
      action(io, async (ctx, _args, opts) => {
        const { targets } = await ctx.nodeTargets(opts.node as string | undefined);
        await watchScrub(ctx, targets, opts.watch === true);
      }),
    );
}

async function watchScrub(ctx: CliContext, targets: NodeTarget[], watch: boolean): Promise<void> {
  const last = await showProgress(
    ctx,
    {
      fetch: () => onEachNode(targets, (n) => ctx.client.scrubStatus({ endpoint: n.adminUrl })),
      views: (outcomes) =>
        outcomes.map((o) =>
          o.ok
            ? { label: o.node.name, progress: o.value.progress, done: o.value.state !== 'running', note: o.value.state }
            : { label: o.node.name, progress: zero, done: true, note: errorText(o.error) },
        ),
      render: scrubTable,
      toJson: scrubJson,
    },
    watch,
  );
  failIfAnyFailed(last, 'scrub status');
}

const zero = { chunksTotal: 0, chunksDone: 0, bytesTotal: 0, bytesDone: 0, failures: 0, rateBytesPerSec: 0 };

function printScrub(ctx: CliContext, outcomes: NodeOutcome<ScrubStatus>[]): void {
  if (ctx.json) ctx.printJson(scrubJson(outcomes));
  else ctx.out(scrubTable(outcomes));
}

/** Each node's ScrubStatus, or `{nodeId, error}` for a node that failed. */
function scrubJson(outcomes: NodeOutcome<ScrubStatus>[]): unknown[] {
  return outcomes.map((o) => (o.ok ? o.value : { nodeId: o.node.id, error: errorText(o.error) }));
}

function scrubTable(outcomes: NodeOutcome<ScrubStatus>[]): string {
  return formatTable(
    ['NODE', 'STATE', 'PROGRESS', 'CHECKED', 'ERRORS FOUND', 'REPAIRED', 'LAST FINISHED', 'NEXT RUN'],
    outcomes.map((o) => {
      if (!o.ok) return [o.node.name, `error: ${errorText(o.error)}`];
      const s = o.value;
      const p = s.progress;
      const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : s.state === 'idle' ? 1 : 0;
      return [
        o.node.name,
        s.enabled ? s.state : `${s.state} (schedule off)`,
        formatPercent(fraction),
        `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
        s.errorsFound,
        s.errorsRepaired,
        formatTime(s.lastFinishedMs),
        formatTime(s.nextRunMs),
      ];
    }),
    { alignRight: [2, 4, 5] },
  );
}
