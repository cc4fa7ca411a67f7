import type { Command } from 'commander';
import type { NodeUtilisation, RecoveryStatus, StorageStatus } from '../client/index.js';
import { action } from './command-action.js';
import type { CliIo } from './cli-io.js';
import { formatBytes, formatPercent } from './format.js';
import { formatFields, formatTable } from './table.js';
import { progressLine, showProgress } from './watch-progress.js';

/** `strata storage status` and `strata recovery status`. */
export function registerStorageCommands(program: Command, io: CliIo): void {
  program
    .command('storage')
    .description('storage use')
    .command('status')
    .description('used and available bytes per node, buckets, objects, degraded chunks')
    .action(
      action(io, async (ctx) => {
        ctx.print(await ctx.client.storageStatus(), renderStorage);
      }),
    );

  program
    .command('recovery')
    .description('rebuilding data of failed or removed nodes')
    .command('status')
    .description('chunks being rebuilt, progress, rate and ETA')
    .option('--watch', 'follow with a progress bar until recovery ends')
    .action(
      action(io, async (ctx, _args, opts) => {
        await showProgress(
          ctx,
          {
            fetch: () => ctx.client.recoveryStatus(),
            views: (r) => [{ label: 'recovery', progress: r.progress, done: recoveryDone(r), note: recoveryDone(r) ? 'idle' : `${r.inProgress} in progress` }],
            render: renderRecovery,
          },
          opts.watch === true,
        );
      }),
    );
}

function recoveryDone(r: RecoveryStatus): boolean {
  return r.inProgress === 0 && r.nodes.length === 0;
}

function renderRecovery(r: RecoveryStatus): string {
  const fields = formatFields([
    ['state', recoveryDone(r) ? 'idle' : 'recovering'],
    ['in progress', r.inProgress],
    ['nodes', r.nodes.length === 0 ? '-' : r.nodes.map((id) => `node-${id}`).join(', ')],
    ['unrecoverable', r.unrecoverable === 0 ? '0' : `${r.unrecoverable} chunks have fewer than k readable shards`],
  ]);
  return `${fields}${progressLine({ label: 'progress', progress: r.progress, done: recoveryDone(r) })}\n`;
}

function renderStorage(s: StorageStatus): string {
  const total = s.usedBytes + s.availableBytes;
  const fields = formatFields([
    ['used', `${formatBytes(s.usedBytes)} of ${formatBytes(total)} (${formatPercent(total === 0 ? 0 : s.usedBytes / total)})`],
    ['available', formatBytes(s.availableBytes)],
    ['buckets', s.buckets],
    ['objects', s.objects],
    ['degraded chunks', s.degradedChunks],
  ]);
  return `${fields}\n${utilisationTable(s.nodes)}`;
}

export function utilisationTable(nodes: readonly NodeUtilisation[]): string {
  return formatTable(
    ['NODE', 'STATE', 'ONLINE', 'ZONE', 'USED', 'AVAILABLE', 'UTIL', 'CHUNKS'],
    nodes.map((n) => [n.name, n.state, n.online, n.zone, formatBytes(n.usedBytes), formatBytes(n.availableBytes), formatPercent(n.utilisation), n.chunks]),
    { alignRight: [4, 5, 6, 7] },
  );
}
