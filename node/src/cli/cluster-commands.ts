import type { Command } from 'commander';
import type { ClusterStatus, DrainPlan, DrainStatus, RebalanceStatus } from '../client/index.js';
import { StrataError } from '../platform/errors.js';
import { action } from './command-action.js';
import type { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { formatBytes, formatPercent } from './format.js';
import { findNode } from './node-ref.js';
import { formatFields, formatTable } from './table.js';
import { progressLine, showProgress, type Poll } from './watch-progress.js';
import { utilisationTable } from './storage-commands.js';

/** `strata cluster ...`: status, members, drain, remove, rebalance. */
export function registerClusterCommands(program: Command, io: CliIo): void {
  const cluster = program.command('cluster').description('cluster membership and data movement');

  cluster
    .command('status')
    .description('cluster identity, Raft leader and term, and the members')
    .action(
      action(io, async (ctx) => {
        ctx.print(await ctx.client.leaderClusterStatus(), renderClusterStatus);
      }),
    );

  cluster
    .command('nodes')
    .description('the members: role, voter, data state, online, zone, admin URL')
    .action(
      action(io, async (ctx) => {
        const status = await ctx.client.leaderClusterStatus();
        if (ctx.json) ctx.printJson(status.nodes);
        else ctx.out(nodesTable(status));
      }),
    );

  cluster
    .command('drain')
    .description('move every shard off NODE (node-4 or 4); refused before anything moves if it cannot succeed')
    .argument('<node>', 'node-<id> or <id>')
    .option('--dry-run', 'only print the plan: bytes to move, and where')
    .option('--watch', 'then follow the drain until it ends')
    .action(
      action(io, async (ctx, [nodeText], opts) => {
        const node = findNode(await ctx.client.clusterStatus(), nodeText);
        const dryRun = opts.dryRun === true;
        const plan = await ctx.client.drain(node.id, { dryRun });
        if (dryRun || opts.watch !== true || ctx.json) ctx.print(plan, (p) => renderDrainPlan(p, dryRun));
        if (dryRun && !plan.feasible) {
          throw new StrataError('FailedPrecondition', `drain of ${node.name} would be refused: ${plan.reason ?? 'infeasible'}`);
        }
        if (!dryRun && opts.watch === true) {
          if (!ctx.json) ctx.out(renderDrainPlan(plan, false));
          await showProgress(ctx, drainPoll(ctx, node.id, node.name), true);
        }
      }),
    );

  cluster
    .command('drain-status')
    .description("a drain's progress: bytes and chunks moved, rate, ETA")
    .argument('<node>', 'node-<id> or <id>')
    .option('--watch', 'follow with a progress bar until the drain ends')
    .action(
      action(io, async (ctx, [nodeText], opts) => {
        const node = findNode(await ctx.client.clusterStatus(), nodeText);
        await showProgress(ctx, drainPoll(ctx, node.id, node.name), opts.watch === true);
      }),
    );

  cluster
    .command('undrain')
    .description('stop a drain, or return a drained node to service')
    .argument('<node>', 'node-<id> or <id>')
    .action(
      action(io, async (ctx, [nodeText]) => {
        const node = findNode(await ctx.client.clusterStatus(), nodeText);
        ctx.print(await ctx.client.undrain(node.id), (s) => `${node.name}: ${s.state}\n`);
      }),
    );

  cluster
    .command('remove')
    .description('remove a drained node; --force removes a failed node at once and starts recovery')
    .argument('<node>', 'node-<id> or <id>')
    .option('--force', 'remove even though the node is not drained (its data is rebuilt from parity)')
    .action(
      action(io, async (ctx, [nodeText], opts) => {
        const node = findNode(await ctx.client.clusterStatus(), nodeText);
        const force = opts.force === true;
        await ctx.client.removeNode(node.id, { force });
        const result = { nodeId: node.id, name: node.name, removed: true, force };
        ctx.print(result, () =>
          force ? `${node.name} removed; recovery rebuilds its data (follow it: strata recovery status --watch)\n` : `${node.name} removed\n`,
        );
      }),
    );

  cluster
    .command('rebalance')
    .description('move shards until utilisation is even (throttled, online)')
    .option('--watch', 'then follow it until it ends')
    .action(
      action(io, async (ctx, _args, opts) => {
        const started = await ctx.client.rebalance();
        if (opts.watch === true) await showProgress(ctx, rebalancePoll(ctx), true);
        else ctx.print(started, renderRebalance);
      }),
    );

  cluster
    .command('rebalance-status')
    .description("a rebalance's progress and each node's utilisation")
    .option('--watch', 'follow with a progress bar until it ends')
    .action(
      action(io, async (ctx, _args, opts) => {
        await showProgress(ctx, rebalancePoll(ctx), opts.watch === true);
      }),
    );
}

export function renderClusterStatus(status: ClusterStatus): string {
  const leader = status.nodes.find((n) => n.id === status.leaderId);
  const online = status.nodes.filter((n) => n.online).length;
  const fields = formatFields([
    ['cluster', status.clusterId],
    ['leader', status.leaderId === 0 ? 'none (no Raft leader elected)' : (leader?.name ?? `node-${status.leaderId}`)],
    ['term', status.term],
    ['commit index', `${status.commitIndex} (applied ${status.appliedIndex})`],
    ['nodes', `${status.nodes.length} (${online} online, ${status.nodes.filter((n) => n.voter).length} voters)`],
    ['answered by', `node-${status.nodeId} (version ${status.version ?? 'unknown'})`],
  ]);
  return `${fields}\n${nodesTable(status)}`;
}

export function nodesTable(status: ClusterStatus): string {
  return formatTable(
    ['NODE', 'ADDRESS', 'ROLE', 'VOTER', 'STATE', 'ONLINE', 'ZONE', 'ADMIN URL'],
    status.nodes.map((n) => [n.name, n.address, n.role, n.voter, n.state, n.online, n.zone, n.adminUrl]),
  );
}

function renderDrainPlan(plan: DrainPlan, dryRun: boolean): string {
  const head = dryRun
    ? `dry run, nothing moved: draining node-${plan.nodeId} ${plan.feasible ? 'would move' : 'is not feasible'}`
    : `draining node-${plan.nodeId}: moving`;
  const lines = [`${head} ${plan.chunks} chunks, ${formatBytes(plan.bytes)}`];
  if (!plan.feasible) lines.push(`reason: ${plan.reason ?? 'unknown'}`);
  const text = `${lines.join('\n')}\n`;
  if (plan.targets.length === 0) return text;
  return `${text}\n${formatTable(
    ['TARGET', 'CHUNKS', 'BYTES'],
    plan.targets.map((t) => [`node-${t.nodeId}`, t.chunks, formatBytes(t.bytes)]),
    { alignRight: [1, 2] },
  )}`;
}

function drainPoll(ctx: CliContext, nodeId: number, name: string): Poll<DrainStatus> {
  return {
    fetch: () => ctx.client.drainStatus(nodeId),
    views: (s) => [{ label: name, progress: s.progress, done: s.state !== 'draining', note: s.state }],
    render: (s) => `${formatFields([['node', name], ['state', s.state]])}${progressLine({ label: 'progress', progress: s.progress, done: s.state !== 'draining' })}\n`,
  };
}

function rebalancePoll(ctx: CliContext): Poll<RebalanceStatus> {
  return {
    fetch: () => ctx.client.rebalanceStatus(),
    views: (s) => [{ label: 'rebalance', progress: s.progress, done: s.state !== 'running', note: s.state }],
    render: renderRebalance,
  };
}

function renderRebalance(s: RebalanceStatus): string {
  const fields = formatFields([
    ['state', s.state],
    ['spread', `${formatPercent(s.spread)} (highest minus lowest utilisation of active online nodes)`],
  ]);
  const line = progressLine({ label: 'progress', progress: s.progress, done: s.state !== 'running' });
  return `${fields}${line}\n\n${utilisationTable(s.nodes)}`;
}
