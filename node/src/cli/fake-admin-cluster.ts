/**
 * Test support (not used by the CLI): three real AdminServers on 127.0.0.1 port 0 backed by the admin
 * fakes, with cluster status pointing at each node's adminUrl, and a way to run the real CLI entry.
 */
import { AdminServer } from '../admin/admin-server.js';
import { FakeAdminService } from '../admin/fake-admin-service.js';
import { FakeBackupAdmin } from '../admin/fake-backup-admin.js';
import { FakeLogAdmin, FakeSettingsAdmin } from '../admin/fake-log-admin.js';
import { FakeMaintenanceAdmin } from '../admin/fake-maintenance-admin.js';
import { FakeScrubAdmin } from '../admin/fake-scrub-admin.js';
import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

export interface FakeNode {
  id: number;
  service: FakeAdminService;
  scrub: FakeScrubAdmin;
  logs: FakeLogAdmin;
  settings: FakeSettingsAdmin;
  server: AdminServer;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class FakeAdminCluster {
  readonly maintenance = new FakeMaintenanceAdmin();
  readonly backup = new FakeBackupAdmin();
  readonly nodes: FakeNode[] = [];

  async start(): Promise<void> {
    for (const id of [1, 2, 3]) {
      const service = new FakeAdminService({ nodeId: id, leaderId: 1 });
      const scrub = new FakeScrubAdmin({ nodeId: id });
      const logs = new FakeLogAdmin();
      const settings = new FakeSettingsAdmin();
      const server = new AdminServer({ host: '127.0.0.1', port: 0, service, maintenance: this.maintenance, scrub, backup: this.backup, logs, settings });
      await server.start();
      this.nodes.push({ id, service, scrub, logs, settings, server });
    }
    for (const node of this.nodes) {
      for (const member of node.service.status.nodes) member.adminUrl = this.node(member.id).server.url;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.stop()));
  }

  node(id: number): FakeNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no fake node ${id}`);
    return node;
  }

  /** Runs `strata ARGV` in-process against node 1 (or `io.env.STRATA_ENDPOINT`), collecting its output. */
  async run(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { STRATA_ENDPOINT: this.node(1).server.url },
      watchIntervalMs: 1,
      ...io,
    });
    return { code, stdout, stderr };
  }
}
