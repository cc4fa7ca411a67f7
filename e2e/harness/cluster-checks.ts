// Checks the scenarios share: waiting for a StrataCluster state, the guide's metrics on a pod, the pod-like
// S3 client. Each wait is bounded and says what it saw last.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import type { StrataCluster } from '../../operator/src/api/strata-cluster.js';
import type { E2eEnvironment } from './environment.js';
import { waitFor } from './wait.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The metric names of the operator's guide ("Key Metrics"); every node's /metrics must carry each. */
export const GUIDE_METRICS: readonly string[] = Object.keys(
  (JSON.parse(readFileSync(join(here, '../../monitoring/guide-metrics.json'), 'utf8')) as { table: Record<string, string> }).table,
);

/** Guide names missing from a Prometheus text exposition (a name counts when a # TYPE line declares it). */
export function missingMetrics(text: string): string[] {
  const declared = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  return GUIDE_METRICS.filter((name) => !declared.has(name));
}

export class ClusterChecks {
  constructor(
    readonly env: E2eEnvironment,
    readonly ns: string,
    readonly name: string,
  ) {}

  /** Waits until `test` holds for the StrataCluster; the failure message carries its status and the operator's log. */
  async until(what: string, test: (c: StrataCluster) => boolean, timeoutMs: number): Promise<StrataCluster> {
    return waitFor(
      async () => {
        const c = await this.env.kube.cluster(this.ns, this.name);
        return test(c) ? c : undefined;
      },
      {
        what: `${this.name}: ${what}`,
        intervalMs: 1_000,
        timeoutMs,
        describe: async () => `${await this.env.kube.describeCluster(this.ns, this.name)}\noperator log:\n${await this.env.operatorLogTail(15)}`,
      },
    );
  }

  /** Available=True, phase Available, `nodes` nodes ready, nothing Progressing. */
  async untilAvailable(nodes: number, timeoutMs: number): Promise<StrataCluster> {
    return this.until(
      `Available with ${nodes} ready nodes`,
      (c) => {
        const s = c.status;
        const cond = (t: string) => s?.conditions?.find((x) => x.type === t);
        return (
          cond('Available')?.status === 'True' &&
          cond('Progressing')?.status === 'False' &&
          s?.phase === 'Available' &&
          s.readyNodes === nodes &&
          (s.nodes ?? []).filter((n) => n.ready && n.online).length === nodes
        );
      },
      timeoutMs,
    );
  }

  async podIp(pod: string): Promise<string> {
    const p = await this.env.kube.pod(this.ns, pod);
    const ip = p?.status?.podIP ?? this.env.agent?.podIp(this.ns, pod);
    if (!ip) throw new Error(`pod ${this.ns}/${pod} has no IP`);
    return ip;
  }

  /** GET http://<pod IP>:9090/metrics from the test process (which reaches pod IPs directly). */
  async metrics(pod: string): Promise<string> {
    const response = await fetch(`http://${await this.podIp(pod)}:9090/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${pod} /metrics answered ${response.status}`);
    return response.text();
  }

  /**
   * Runs e2e/harness/pod-s3-probe.mjs as a pod-like client (NodeAgent.exec: its own network namespace on the
   * pod network, the cluster's hosts file) against the client Service's DNS name.
   */
  async probeFromPod(credentials: { accessKeyId: string; secretAccessKey: string }, port = 9080): Promise<{ code: number; result: Record<string, unknown>; stderr: string }> {
    const agent = this.env.agent;
    if (agent === undefined) throw new Error('probeFromPod needs the local node agent');
    const out = await agent.exec([process.execPath, join(here, 'pod-s3-probe.mjs')], {
      env: {
        S3_ENDPOINT: `http://${this.name}-s3.${this.ns}.svc.cluster.local:${port}`,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        S3_BUCKET: 'pod-probe',
      },
      timeoutMs: 60_000,
    });
    const line = out.stdout.trim().split('\n').pop() ?? '';
    let result: Record<string, unknown> = {};
    try {
      result = JSON.parse(line) as Record<string, unknown>;
    } catch {
      result = { unparsed: out.stdout };
    }
    return { code: out.code, result, stderr: out.stderr };
  }
}
