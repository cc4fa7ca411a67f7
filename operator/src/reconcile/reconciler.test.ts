import { describe, expect, it } from 'vitest';
import { silentLogger, StrataError, type Clock } from '../../../node/src/platform/index.js';
import type { StrataCluster } from '../api/strata-cluster.js';
import { FakeKubeClient } from '../kube/fake-kube-client.testkit.js';
import type { KubeObject } from '../kube/kube-client.js';
import { FakeStrataAdmin, newCluster, simulateStatefulSet } from './cluster-sim.testkit.js';
import { Reconciler } from './reconciler.js';

const NS = 'store';
const NAME = 'demo';

class TestClock implements Clock {
  constructor(public wall = Date.parse('2026-06-01T01:00:00Z')) {}
  nowMs() {
    return this.wall;
  }
  wallMs() {
    return this.wall;
  }
  setTimeout() {
    return { cancel() {} };
  }
  setInterval() {
    return { cancel() {} };
  }
}

function setup(spec: Parameters<typeof newCluster>[0] = {}) {
  const kube = new FakeKubeClient();
  const admin = new FakeStrataAdmin();
  const clock = new TestClock();
  let keys = 0;
  const reconciler = new Reconciler({
    kube,
    strataAdmin: () => admin,
    clock,
    logger: silentLogger,
    generateS3Keys: () => ({ accessKeyId: `AKID${++keys}`, secretAccessKey: `secret-${keys}` }),
  });
  kube.seed(newCluster(spec));
  const cluster = () => kube.find<StrataCluster & KubeObject>('strata.io/v1alpha1', 'StrataCluster', NS, NAME)!;
  const sts = () => kube.find('apps/v1', 'StatefulSet', NS, NAME)! as KubeObject & { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
  const condition = (type: string) => cluster().status?.conditions?.find((c) => c.type === type);
  const run = async () => {
    const result = await reconciler.reconcile({ namespace: NS, name: NAME });
    return result;
  };
  /** Reconcile, let the StatefulSet controller act, repeat until the operator writes nothing. */
  const settle = async (rounds = 10) => {
    for (let i = 0; i < rounds; i++) {
      const { writes } = await run();
      simulateStatefulSet(kube, NS, NAME);
      if (writes === 0) return i;
    }
    throw new Error('did not settle');
  };
  const editSpec = (patch: Record<string, unknown>) => {
    const c = cluster();
    kube.seed({ ...c, spec: { ...c.spec, ...patch } });
  };
  return { kube, admin, clock, run, settle, cluster, sts, condition, editSpec };
}

/** A running 3-node cluster whose operator has nothing left to do. */
async function runningCluster(spec: Parameters<typeof newCluster>[0] = {}) {
  const t = setup(spec);
  t.admin.addMembers(...Array.from({ length: (spec.nodes as number | undefined) ?? 3 }, (_, i) => i + 1));
  await t.settle();
  t.kube.clearWrites();
  t.admin.calls.length = 0;
  return t;
}

describe('Reconciler', () => {
  it('creates every child with owner references and a generated credentials Secret, then writes nothing on the next reconcile', async () => {
    const t = setup();
    t.admin.addMembers(1, 2, 3);
    await t.run();
    const kinds = t.kube.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`);
    expect(kinds).toEqual([
      'create Secret/demo-credentials',
      'apply ConfigMap/demo-config',
      'apply Service/demo-nodes',
      'apply Service/demo-s3',
      'apply PodDisruptionBudget/demo',
      'apply StatefulSet/demo',
      'patchStatus StrataCluster/demo',
    ]);
    for (const w of t.kube.writes) if (w.verb === 'apply') expect(w.object.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'StrataCluster', name: 'demo', controller: true });
    expect(t.sts().spec.replicas).toBe(3);
    expect(t.kube.events.map((e) => e.reason)).toContain('CredentialsGenerated');

    simulateStatefulSet(t.kube, NS, NAME);
    await t.run(); // pods and leader appear in status
    t.kube.clearWrites();
    const again = await t.run();
    expect(again.writes).toBe(0);
    expect(t.kube.writes).toEqual([]);
    expect(t.cluster().status).toMatchObject({ phase: 'Available', readyNodes: 3, leader: 'node-1', replicas: 3, observedGeneration: 1 });
  });

  it('forbids pod 0 to bootstrap once the Strata cluster has answered, and never allows it again', async () => {
    const t = setup();
    t.admin.addMembers(1, 2, 3);
    t.admin.reachable = false;
    await t.run();
    const mode = () => (t.kube.find('v1', 'ConfigMap', NS, 'demo-config')!.data as Record<string, string>).bootstrap;
    expect(mode()).toBe('allowed');
    simulateStatefulSet(t.kube, NS, NAME);
    t.admin.reachable = true;
    await t.run();
    expect(mode()).toBe('forbidden');
    t.admin.reachable = false;
    await t.run();
    expect(mode()).toBe('forbidden');
  });

  it('never regenerates the credentials Secret', async () => {
    const t = await runningCluster();
    const before = t.kube.find('v1', 'Secret', NS, 'demo-credentials');
    t.editSpec({ config: { log_level: 'debug' } });
    await t.settle();
    expect(t.kube.find('v1', 'Secret', NS, 'demo-credentials')).toEqual(before);
    expect(t.kube.writes.some((w) => w.kind === 'Secret')).toBe(false);
  });

  it('repairs drift of a child and only that child', async () => {
    const t = await runningCluster();
    const svc = t.kube.find('v1', 'Service', NS, 'demo-s3')!;
    t.kube.seed({ ...svc, spec: { ...(svc.spec as object), ports: [{ name: 's3', port: 1234, targetPort: 1234, protocol: 'TCP' }] } });
    const sts = t.sts();
    const template = sts.spec.template as unknown as { spec: { containers: { image: string }[] } };
    template.spec.containers[0].image = 'someone/else:latest';
    t.kube.seed(sts);
    await t.run();
    expect(t.kube.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toEqual(['apply Service/demo-s3', 'apply StatefulSet/demo']);
    expect((t.kube.find('v1', 'Service', NS, 'demo-s3')!.spec as { ports: { port: number }[] }).ports[0].port).toBe(9080);
    expect(t.sts().spec.template.spec.containers[0].image).toBe('ghcr.io/strata/strata-server:1.0.0');
    expect(t.kube.events.map((e) => e.reason)).toEqual(['Updated', 'Updated']);
    expect((await t.run()).writes).toBe(0);
  });

  it('scales in from the highest ordinal: drain, wait, remove from Strata, then shrink; PVCs kept', async () => {
    const t = await runningCluster({ nodes: 5, erasure: { dataShards: 2, parityShards: 1 } });
    t.kube.seed({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-demo-4', namespace: NS } });
    t.editSpec({ nodes: 3 });

    await t.run();
    expect(t.admin.calls).toEqual(['drain 5']);
    expect(t.sts().spec.replicas).toBe(5);
    expect(t.condition('ScalingIn')).toMatchObject({ status: 'True', reason: 'DrainingNode' });

    await t.run();
    expect(t.admin.calls).toEqual(['drain 5']); // waits, does not ask again
    expect(t.condition('ScalingIn')).toMatchObject({ status: 'True', reason: 'WaitingForDrain' });
    expect(t.cluster().status?.nodes?.find((n) => n.name === 'node-5')).toMatchObject({ state: 'draining', drain: { chunksRemaining: 6, bytesRemaining: 600 } });
    expect(t.sts().spec.replicas).toBe(5);

    t.admin.finishDrain(5);
    await t.run();
    expect(t.admin.calls).toEqual(['drain 5', 'remove 5']);
    expect(t.sts().spec.replicas).toBe(5); // the StatefulSet shrinks only on the next pass, once Strata no longer lists node-5
    await t.run();
    expect(t.sts().spec.replicas).toBe(4);
    simulateStatefulSet(t.kube, NS, NAME);

    await t.run();
    expect(t.admin.calls.slice(2)).toEqual(['drain 4']);
    t.admin.finishDrain(4);
    await t.run();
    await t.run();
    simulateStatefulSet(t.kube, NS, NAME);
    expect(t.sts().spec.replicas).toBe(3);
    expect(t.admin.calls).toEqual(['drain 5', 'remove 5', 'drain 4', 'remove 4']);
    expect(t.kube.find('v1', 'PersistentVolumeClaim', NS, 'data-demo-4')).toBeDefined();
    await t.settle();
    expect(t.condition('ScalingIn')).toMatchObject({ status: 'False', reason: 'NoScaleIn' });
  });

  it('deletes PVCs of removed nodes only when storage.deleteClaimsOnScaleIn asks', async () => {
    const t = await runningCluster({ nodes: 4, storage: { deleteClaimsOnScaleIn: true } });
    t.kube.seed({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-demo-3', namespace: NS } });
    t.editSpec({ nodes: 3 });
    await t.run();
    t.admin.finishDrain(4);
    await t.run();
    await t.run();
    expect(t.kube.find('v1', 'PersistentVolumeClaim', NS, 'data-demo-3')).toBeUndefined();
    expect(t.kube.events.map((e) => e.reason)).toContain('ClaimDeleted');
  });

  it('repairs a child whose apply cannot merge with a merge patch, and keeps repairing the others', async () => {
    const t = await runningCluster();
    for (const name of ['demo-s3', 'demo-nodes']) {
      const svc = t.kube.find('v1', 'Service', NS, name)!;
      t.kube.seed({ ...svc, spec: { ...(svc.spec as object), ports: [{ name: 'x', port: 1111 }] } });
    }
    t.kube.refuseApplyOf.add('Service');
    await t.run();
    expect(t.kube.writes.map((w) => `${w.verb} ${w.kind}/${w.name}`)).toEqual(['mergePatch Service/demo-nodes', 'mergePatch Service/demo-s3']);
    expect((t.kube.find('v1', 'Service', NS, 'demo-s3')!.spec as { ports: { port: number }[] }).ports[0].port).toBe(9080);
  });

  it('a child that cannot be applied fails the reconcile after the others are applied and status says why', async () => {
    const t = await runningCluster();
    const cm = t.kube.find('v1', 'ConfigMap', NS, 'demo-config')!;
    t.kube.seed({ ...cm, data: { 'strata.toml': 'tampered' } });
    const sts = t.sts();
    t.kube.seed({ ...sts, spec: { ...sts.spec, replicas: 2 } });
    const apply = t.kube.apply.bind(t.kube);
    t.kube.apply = async (o) => {
      if (o.kind === 'ConfigMap') throw new StrataError('Unavailable', 'etcd timeout');
      return apply(o);
    };
    await expect(t.run()).rejects.toThrow('etcd timeout');
    expect(t.sts().spec.replicas).toBe(3);
    expect(t.condition('Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed' });
    expect(t.kube.events.map((e) => e.reason)).toContain('ApplyFailed');
  });

  it('shrinks a StatefulSet scaled up behind its back in one step (the extra pods never joined)', async () => {
    const t = await runningCluster();
    const sts = t.sts();
    t.kube.seed({ ...sts, spec: { ...sts.spec, replicas: 7 } });
    await t.run();
    expect(t.sts().spec.replicas).toBe(3);
    expect(t.admin.calls).toEqual([]);
  });

  it('never applies replicas planned on an older StatefulSet over one scaled while it reconciled', async () => {
    // Found against a real API server (e2e/api/operator.test.ts): a hand scale between the reconcile's
    // read and its apply was overwritten with the stale plan's replicas, deleting pods never asked about.
    const t = await runningCluster();
    t.admin.addMembers(4, 5); // the hand-added pods joined the Strata cluster
    const list = t.kube.list.bind(t.kube);
    let raced = false;
    t.kube.list = async (apiVersion, kind, namespace, selector) => {
      if (kind === 'Pod' && !raced) {
        raced = true;
        const sts = t.sts();
        t.kube.seed({ ...sts, spec: { ...sts.spec, replicas: 5 } });
      }
      return list(apiVersion, kind, namespace, selector);
    };
    t.editSpec({ config: { log_level: 'debug' } }); // a template change, so the StatefulSet is applied
    const result = await t.run();
    expect(raced).toBe(true);
    expect(t.sts().spec.replicas).toBe(5);
    expect(t.kube.writes.filter((w) => w.kind === 'StatefulSet')).toEqual([]);
    expect(t.kube.events.map((e) => e.reason)).not.toContain('ApplyFailed');
    expect(result.requeueAfterMs).toBe(1_000);
    // The next reconcile plans from replicas 5: node-5 is a member, so it is drained first, not cut off.
    await t.run();
    expect(t.sts().spec.replicas).toBe(5);
    expect(t.admin.calls).toContain('drain 5');
  });

  it('does nothing when the rest cannot hold the data, and says why', async () => {
    const t = await runningCluster({ nodes: 4 });
    t.admin.refuseDrain.add(4);
    t.editSpec({ nodes: 3 });
    await t.run();
    expect(t.sts().spec.replicas).toBe(4);
    expect(t.condition('ScalingIn')).toMatchObject({ status: 'False', reason: 'DrainRefused' });
    expect(t.condition('ScalingIn')?.message).toContain('not enough capacity left without node-4');
    expect(t.kube.events.filter((e) => e.reason === 'ScaleInRefused')).toHaveLength(1);
    await t.run();
    expect(t.kube.events.filter((e) => e.reason === 'ScaleInRefused')).toHaveLength(1); // no Event storm
    expect(t.admin.members.get(4)?.state).toBe('active');
  });

  it('upgrades one pod at a time, followers first, the leader last after a leadership transfer', async () => {
    const t = await runningCluster();
    t.editSpec({ version: '1.1.0' });
    const deleted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const before = t.kube.writes.length;
      await t.run();
      for (const w of t.kube.writes.slice(before)) if (w.verb === 'delete' && w.kind === 'Pod') deleted.push(w.name);
      if (t.admin.calls.at(-1)?.startsWith('transfer') && !deleted.includes('demo-0')) deleted.push(`(${t.admin.calls.at(-1)})`);
      simulateStatefulSet(t.kube, NS, NAME);
      if (t.condition('Upgrading')?.status === 'False' && deleted.length > 0) break;
    }
    expect(deleted).toEqual(['demo-2', 'demo-1', '(transfer 1)', 'demo-0']);
    expect(t.sts().spec.template.spec.containers[0].image).toBe('ghcr.io/strata/strata-server:1.1.0');
    expect(t.cluster().status?.currentVersion).toBe('1.1.0');
    expect(t.condition('Upgrading')).toMatchObject({ status: 'False', reason: 'UpToDate' });
  });

  it('waits on a shut gate and stalls with a condition naming it after gateTimeout', async () => {
    const t = await runningCluster({ upgrade: { gateTimeout: '10m' } });
    t.editSpec({ version: '1.1.0' });
    t.admin.degradedChunks = 4;
    await t.run();
    simulateStatefulSet(t.kube, NS, NAME);
    await t.run();
    expect(t.condition('Upgrading')).toMatchObject({ status: 'True', reason: 'WaitingForNoDegradedChunks' });
    t.clock.wall += 11 * 60_000;
    await t.run();
    expect(t.condition('Upgrading')).toMatchObject({ status: 'True', reason: 'StalledNoDegradedChunks' });
    expect(t.condition('Upgrading')?.message).toContain('gate NoDegradedChunks');
    expect(t.condition('Degraded')).toMatchObject({ status: 'True' });
    expect(t.kube.writes.filter((w) => w.verb === 'delete')).toEqual([]);
    expect(t.kube.events.filter((e) => e.reason === 'UpgradeStalled')).toHaveLength(1);
    // The gate opens: the upgrade resumes with the highest follower.
    t.admin.degradedChunks = 0;
    await t.run();
    expect(t.kube.writes.filter((w) => w.verb === 'delete').map((w) => w.name)).toEqual(['demo-2']);
  });

  it('drains nodes named in spec.drain and undrains them when the name leaves the list', async () => {
    const t = await runningCluster({ nodes: 4 });
    t.editSpec({ drain: ['node-2'] });
    await t.run();
    expect(t.admin.calls).toEqual(['drain 2']);
    expect(t.condition('Draining')).toMatchObject({ status: 'True', reason: 'WaitingForDrain' });
    t.admin.finishDrain(2);
    await t.run();
    expect(t.condition('Draining')).toMatchObject({ status: 'False', reason: 'Drained' });
    expect(t.admin.calls).toEqual(['drain 2']);
    t.editSpec({ drain: [] });
    await t.run();
    expect(t.admin.calls).toEqual(['drain 2', 'undrain 2']);
    expect(t.kube.events.map((e) => e.reason)).toEqual(['DrainStarted', 'NodeUndrained']);
  });

  it('asks for one rebalance per rebalanceRequest change and one after a scale-out', async () => {
    const t = await runningCluster();
    t.editSpec({ rebalanceRequest: 'r1' });
    await t.settle();
    expect(t.admin.calls).toEqual(['rebalance']);
    t.admin.rebalanceState = 'done';
    t.editSpec({ nodes: 4 });
    await t.run();
    simulateStatefulSet(t.kube, NS, NAME);
    await t.run();
    expect(t.condition('Rebalancing')).toMatchObject({ status: 'True', reason: 'WaitingForNewNodes' });
    t.admin.addMembers(4);
    await t.run();
    expect(t.admin.calls).toEqual(['rebalance', 'rebalance']);
    t.admin.rebalanceState = 'done';
    await t.settle();
    expect(t.admin.calls).toEqual(['rebalance', 'rebalance']);
  });

  it('runs a scheduled backup when due, records it in status, and not again until the next fire time', async () => {
    const t = await runningCluster({ backup: { schedule: '0 2 * * *', destination: { claimName: 'backups' } } });
    expect(t.admin.calls).toEqual([]); // created 2026-01-01T00:00Z; clock 2026-06-01T01:00Z -> first fire 2026-01-01T02:00 is due
    // runningCluster already settled: the first due backup ran during setup.
    const status = t.cluster().status!;
    expect(status.lastBackup).toMatchObject({ ok: true, file: 'strata-backup-1.snap' });
    expect(status.lastSuccessfulBackup).toEqual(status.lastBackup);
    expect(t.condition('BackupHealthy')).toMatchObject({ status: 'True', reason: 'BackupSucceeded' });
    await t.run();
    expect(t.admin.calls).toEqual([]);
    t.clock.wall = Date.parse('2026-06-02T02:00:30Z');
    t.admin.backupOk = false;
    await t.run();
    expect(t.admin.calls).toEqual(['backup /var/lib/strata-backup/backup']);
    expect(t.condition('BackupHealthy')).toMatchObject({ status: 'False', reason: 'BackupFailed' });
    expect(t.cluster().status?.lastSuccessfulBackup?.ok).toBe(true);
  });

  it('changes nothing while paused but still reports status', async () => {
    const t = await runningCluster();
    t.editSpec({ paused: true, nodes: 5, version: '2.0.0' });
    await t.run();
    expect(t.kube.writes.map((w) => w.verb)).toEqual(['patchStatus']);
    expect(t.cluster().status?.phase).toBe('Paused');
    expect(t.admin.calls).toEqual([]);
  });

  it('reports an unreachable Strata admin API without failing the reconcile', async () => {
    const t = await runningCluster();
    t.admin.reachable = false;
    const result = await t.run();
    expect(result.writes).toBe(1);
    expect(t.condition('Available')).toMatchObject({ status: 'False', reason: 'StrataAdminUnreachable' });
  });
});
