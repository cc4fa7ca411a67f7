import { describe, expect, it } from 'vitest';
import { silentLogger, StrataError } from '../../../node/src/platform/index.js';
import { FakeKubeClient } from '../kube/fake-kube-client.testkit.js';
import type { ClusterKey, ReconcileResult } from '../reconcile/reconciler.js';
import { newCluster } from '../reconcile/cluster-sim.testkit.js';
import { StrataController } from './controller.js';
import { ManualClock } from './manual-clock.testkit.js';
import { OperatorMetrics } from './operator-metrics.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(reconcile: (key: ClusterKey) => Promise<ReconcileResult>) {
  const kube = new FakeKubeClient();
  const clock = new ManualClock();
  const metrics = new OperatorMetrics();
  const seen: string[] = [];
  const controller = new StrataController({
    kube,
    clock,
    logger: silentLogger,
    metrics,
    workers: 2,
    reconciler: {
      reconcile: async (key) => {
        seen.push(`${key.namespace}/${key.name}`);
        return reconcile(key);
      },
    },
  });
  (clock as unknown as { setInterval: () => { cancel(): void } }).setInterval = () => ({ cancel() {} });
  return { kube, clock, metrics, seen, controller };
}

describe('StrataController', () => {
  it('reconciles existing clusters at start and again when an owned child or a pod changes', async () => {
    const t = setup(async () => ({ requeueAfterMs: 0, writes: 0 }));
    t.kube.seed(newCluster({}, 'a', 'ns1'));
    t.kube.seed(newCluster({}, 'b', 'ns2'));
    t.controller.start();
    await flush();
    expect(t.seen.sort()).toEqual(['ns1/a', 'ns2/b']);
    t.seen.length = 0;
    t.kube.seed({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'a', namespace: 'ns1', labels: { 'app.kubernetes.io/managed-by': 'strata-operator' }, ownerReferences: [{ apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', name: 'a', uid: 'x' }] } });
    t.kube.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b-0', namespace: 'ns2', labels: { 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': 'b' } } });
    t.kube.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'ns2', labels: { app: 'x' } } });
    await flush();
    expect(t.seen.sort()).toEqual(['ns1/a', 'ns2/b']);
    await t.controller.stop();
    expect(t.metrics.render()).toContain('strata_operator_reconciles_total{result="success"} 4');
  });

  it('retries a failing cluster with growing backoff and counts the errors', async () => {
    let fail = true;
    const t = setup(async () => {
      if (fail) throw new StrataError('Unavailable', 'API server busy');
      return { requeueAfterMs: 0, writes: 0 };
    });
    t.kube.seed(newCluster({}, 'a', 'ns'));
    t.controller.start();
    await flush();
    expect(t.seen).toEqual(['ns/a']);
    t.clock.advance(499);
    await flush();
    expect(t.seen).toHaveLength(1);
    t.clock.advance(1);
    await flush();
    expect(t.seen).toHaveLength(2);
    t.clock.advance(999);
    await flush();
    expect(t.seen).toHaveLength(2);
    fail = false;
    t.clock.advance(1);
    await flush();
    expect(t.seen).toHaveLength(3);
    expect(t.metrics.render()).toContain('strata_operator_reconcile_errors_total 2');
    await t.controller.stop();
  });

  it('honours the requeue delay the reconciler asks for', async () => {
    const t = setup(async () => ({ requeueAfterMs: 5_000, writes: 0 }));
    t.kube.seed(newCluster({}, 'a', 'ns'));
    t.controller.start();
    await flush();
    t.clock.advance(4_999);
    await flush();
    expect(t.seen).toHaveLength(1);
    t.clock.advance(1);
    await flush();
    expect(t.seen).toHaveLength(2);
    await t.controller.stop();
  });
});
