import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { BackupStatus } from '../client/index.js';
import { resolveConfig } from '../config/index.js';
import { action } from './command-action.js';
import type { CliIo } from './cli-io.js';
import { saveBackup } from './backup-download.js';
import { formatBytes, formatTime } from './format.js';
import { formatFields, formatTable } from './table.js';
import { UsageError } from './usage-error.js';

/** `strata backup create|status` (through the cluster) and `strata restore` (offline, on a stopped node). */
export function registerBackupCommands(program: Command, io: CliIo): void {
  const backup = program.command('backup').description('metadata backups');

  backup
    .command('create')
    .description('download a consistent metadata backup (a Raft snapshot) into FILE')
    .requiredOption('--output <file>', 'where to write the backup (written to FILE.tmp, then renamed)')
    .action(
      action(io, async (ctx, _args, opts) => {
        const output = resolve(String(opts.output));
        const download = await ctx.client.downloadBackup();
        const saved = await saveBackup(download.body, output);
        const result = { file: saved.path, ...download.info, sizeBytes: saved.sizeBytes, sha256: saved.sha256 };
        ctx.print(result, (r) =>
          formatFields([
            ['wrote', r.file],
            ['size', `${formatBytes(r.sizeBytes)} (${r.sizeBytes} bytes)`],
            ['sha256', r.sha256],
            ['cluster', r.clusterId],
            ['raft index', `${r.raftIndex} (term ${r.raftTerm})`],
            ['created', formatTime(r.createdMs)],
            ['format', `v${r.formatVersion}`],
          ]),
        );
      }),
    );

  backup
    .command('status')
    .description('scheduled backups: schedule, last runs, backups kept in the destination')
    .action(
      action(io, async (ctx) => {
        ctx.print(await ctx.client.backupStatus(), renderBackupStatus);
      }),
    );

  program
    .command('restore')
    .description("restore a STOPPED node's metadata from a backup file (the old metadata is kept aside)")
    .requiredOption('--input <file>', 'the backup file')
    .option('--data-dir <dir>', "the node's data directory")
    .option('--config <file>', 'strata.toml whose [node] data_dir to use')
    .action(
      action(io, async (ctx, _args, opts) => {
        if (opts.dataDir !== undefined && opts.config !== undefined) throw new UsageError('give --data-dir or --config, not both');
        const config = await resolveConfig({
          ...(opts.config === undefined ? {} : { configPath: String(opts.config) }),
          ...(opts.dataDir === undefined ? {} : { flags: { dataDir: String(opts.dataDir) } }),
        });
        const inputPath = resolve(String(opts.input));
        // Loaded only here: restore opens LevelDB, which no other command needs.
        const { restoreFromBackup } = await import('../backup/restore-from-backup.js');
        const info = await restoreFromBackup({ inputPath, dataDir: config.node.dataDir });
        ctx.print({ dataDir: config.node.dataDir, input: inputPath, ...info }, (r) =>
          formatFields([
            ['restored', r.dataDir],
            ['from', r.input],
            ['cluster', r.clusterId],
            ['raft index', `${r.raftIndex} (term ${r.raftTerm})`],
            ['created', formatTime(r.createdMs)],
            ['size', formatBytes(r.sizeBytes)],
            ['sha256', r.sha256],
          ]) + 'start the node again; its previous metadata was kept aside in the data directory\n',
        );
      }),
    );
}

function renderBackupStatus(s: BackupStatus): string {
  const fields = formatFields([
    ['scheduled', s.enabled ? `yes (${s.schedule ?? '-'})` : 'no'],
    ['retention', s.retentionDays === undefined ? '-' : `${s.retentionDays} days`],
    ['destination', s.destination],
    ['next run', formatTime(s.nextRunMs)],
    ['last run', s.lastRun === undefined ? '-' : `${formatTime(s.lastRun.finishedMs)} ${s.lastRun.ok ? 'ok' : `failed: ${s.lastRun.error ?? ''}`}`],
    ['last success', formatTime(s.lastSuccessfulRun?.finishedMs)],
  ]);
  if (s.backups.length === 0) return fields;
  return `${fields}\n${formatTable(
    ['FILE', 'CREATED', 'RAFT INDEX', 'SIZE', 'SHA256'],
    s.backups.map((b) => [b.file, formatTime(b.createdMs), b.raftIndex, formatBytes(b.sizeBytes), b.sha256.slice(0, 16)]),
    { alignRight: [2, 3] },
  )}`;
}
