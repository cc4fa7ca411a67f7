/**
 * strata-operator: the composition root. Reads flags/env, connects to the Kubernetes API (a kubeconfig
 * or the in-cluster service account), serves /healthz, /readyz and /metrics, and runs the controller
 * while it holds the leader Lease (or at once with --leader-elect=false).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { isStrataError } from '../../node/src/platform/index.js';
import { createPinoLogger } from '../../node/src/platform/real/pino-logger.js';
import { SystemClock } from '../../node/src/platform/real/system-clock.js';
import { STRATA_API_VERSION, STRATA_KIND } from './api/strata-cluster.js';
import { StrataController } from './controller/controller.js';
import { HealthServer } from './controller/health-server.js';
import { LeaderElection } from './controller/leader-election.js';
import { OPERATOR_USAGE, parseOperatorFlags } from './controller/operator-flags.js';
import { OperatorMetrics } from './controller/operator-metrics.js';
import { ClientNodeKubeClient } from './kube/client-node-kube-client.js';
import { Reconciler } from './reconcile/reconciler.js';
import { adminClientFactory } from './reconcile/strata-admin.js';

async function main(): Promise<void> {
  const flags = parseOperatorFlags(process.argv.slice(2), process.env, hostname(), randomBytes(3).toString('hex'));
  if (flags.help) {
    process.stdout.write(`${OPERATOR_USAGE}\n`);
    return;
  }
  const { logger } = createPinoLogger({ level: flags.logLevel, base: { component: 'strata-operator' } });
  const clock = new SystemClock();
  const kubeConfig = new KubeConfig();
  if (flags.kubeconfig !== undefined) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault();
  const kube = new ClientNodeKubeClient({ kubeConfig });
  const metrics = new OperatorMetrics();
  const reconciler = new Reconciler({ kube, strataAdmin: adminClientFactory(), clock, logger: logger.child({ component: 'reconciler' }) });
  const controller = new StrataController({ kube, reconciler, clock, logger: logger.child({ component: 'controller' }), metrics, namespace: flags.namespace, workers: flags.workers, resyncMs: flags.resyncMs });

  let apiReady = false;
  const health = new HealthServer({ host: flags.bindAddress, healthPort: flags.healthPort, metricsPort: flags.metricsPort, metrics, ready: () => apiReady });
  await health.start();
  logger.info({ health: health.healthUrl, metrics: health.metricsUrl, namespace: flags.namespace ?? '(all)', leaderElect: flags.leaderElect }, 'strata-operator starting');

  // The CRD must be served before watches make sense; wait for it rather than crash-loop.
  for (;;) {
    try {
      if (await kube.hasKind(STRATA_API_VERSION, STRATA_KIND)) break;
      logger.warn({ kind: `${STRATA_API_VERSION} ${STRATA_KIND}` }, 'the StrataCluster CRD is not installed yet; waiting');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'the Kubernetes API did not answer; retrying');
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  apiReady = true;

  let election: LeaderElection | undefined;
  if (flags.leaderElect) {
    election = new LeaderElection({
      kube,
      clock,
      logger: logger.child({ component: 'leader-election' }),
      namespace: flags.leaseNamespace,
      name: flags.leaseName,
      identity: flags.identity,
      onStartedLeading: () => {
        metrics.setLeader(true);
        controller.start();
      },
      onStoppedLeading: () => {
        // Another replica leads now; exit so this one restarts clean as a follower.
        metrics.setLeader(false);
        logger.error({}, 'lost leadership; exiting');
        void controller.stop().finally(() => process.exit(1));
      },
    });
    election.start();
  } else {
    metrics.setLeader(true);
    controller.start();
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void (async () => {
      await controller.stop();
      await election?.release();
      await health.stop();
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`strata-operator: ${isStrataError(err) ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(isStrataError(err, 'InvalidArgument') ? 2 : 1);
});
