// The e2e environment of the scenarios: a control plane (e2e/control-plane, default ports unless told), helm, the image
// folders (images.ts), the node agent (the kubelet stand-in that runs pods as local processes) and the strata
// chart installed with the operator image mapped. stop() tears it all down in reverse order.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane, REPO_ROOT, runCommand, type CommandResult } from '../control-plane/control-plane.js';
import { NodeAgent } from '../node-agent/node-agent.js';
import { buildImages, OPERATOR_REPOSITORY, type BuiltImages } from './images.js';
import { KubeView } from './kube-view.js';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'strata');

export interface E2eEnvironmentOptions {
  /** The control plane run (.cache/e2e/<run>); the agent works under .cache/e2e/<run>-agent. */
  run: string;
  /** Namespace of the helm release (the operator). */
  operatorNamespace: string;
  /** The operator image's tag (one of the built tags). */
  operatorTag: string;
  /** Image tags built from dist/ and broken ones (images.ts). */
  tags: string[];
  brokenTags: string[];
  /** Extra `--set` values of the helm install. */
  helmSet: string[];
  /**
   * K8S_* variables for control-plane/start.sh (ports, K8S_SERVICE_CIDR) and the node agent's pod range:
   * two scenario files run at once when each has its own (vitest's e2e project runs two files in parallel).
   */
  controlPlaneEnv: Record<string, string>;
  podCidr: string | undefined;
  log: (line: string) => void;
}

export function resolveE2eEnvironmentOptions(options: Partial<E2eEnvironmentOptions> = {}): E2eEnvironmentOptions {
  const run = options.run ?? 'e2e';
  return {
    run,
    operatorNamespace: options.operatorNamespace ?? 'strata-system',
    operatorTag: options.operatorTag ?? 'e2e-a',
    tags: options.tags ?? ['e2e-a', 'e2e-b'],
    brokenTags: options.brokenTags ?? ['e2e-broken'],
    helmSet: options.helmSet ?? [],
    controlPlaneEnv: options.controlPlaneEnv ?? {},
    podCidr: options.podCidr,
    log: options.log ?? ((line) => process.stderr.write(`[${run}] ${line}\n`)),
  };
}

export class E2eEnvironment {
  private constructor(
    readonly options: E2eEnvironmentOptions,
    readonly cp: ControlPlane,
    readonly kube: KubeView,
    readonly helmBin: string,
    readonly images: BuiltImages | undefined,
    /** Undefined against an external cluster (STRATA_E2E_KUBECONFIG): its own kubelets run the pods. */
    readonly agent: NodeAgent | undefined,
  ) {}

  /**
   * Starts everything, or, with STRATA_E2E_KUBECONFIG, adopts that cluster: no control plane, no agent, no
   * image folders (the cluster pulls the real images; STRATA_E2E_OPERATOR_TAG names the operator's tag).
   */
  static async start(partial: Partial<E2eEnvironmentOptions> = {}): Promise<E2eEnvironment> {
    const o = resolveE2eEnvironmentOptions(partial);
    const started = Date.now();
    const helmBin = execFileSync(join(REPO_ROOT, 'scripts', 'fetch-helm.sh'), { encoding: 'utf8' }).trim();
    const cp = await ControlPlane.start({ run: o.run, env: o.controlPlaneEnv });
    o.log(`control plane up in ${Math.round((Date.now() - started) / 1000)} s (${cp.local ? 'local' : 'external'})`);
    let images: BuiltImages | undefined;
    let agent: NodeAgent | undefined;
    try {
      if (cp.local) {
        // Per run: another file's pods may be running the same tags from their own folders meanwhile.
        images = buildImages({ tags: o.tags, brokenTags: o.brokenTags, root: join(REPO_ROOT, '.cache', 'e2e', `${o.run}-images`) });
        const workDir = join(REPO_ROOT, '.cache', 'e2e', `${o.run}-agent`);
        rmSync(workDir, { recursive: true, force: true });
        mkdirSync(workDir, { recursive: true });
        agent = await NodeAgent.start({
          kubeconfig: cp.kubeconfig,
          images: images.map,
          workDir,
          podCidr: o.podCidr,
          serviceCidr: o.controlPlaneEnv.K8S_SERVICE_CIDR,
          log: (line) => o.log(`agent: ${line}`),
        });
        o.log('node agent up');
      }
      const env = new E2eEnvironment(o, cp, new KubeView(cp), helmBin, images, agent);
      await env.installChart();
      o.log(`environment ready in ${Math.round((Date.now() - started) / 1000)} s`);
      return env;
    } catch (err) {
      await agent?.stop().catch(() => undefined);
      await cp.stop().catch(() => undefined);
      throw err;
    }
  }

  async helm(args: string[], allowFailure = false): Promise<CommandResult> {
    const result = await runCommand(this.helmBin, [...args, '--kubeconfig', this.cp.kubeconfig], { env: this.cp.env() });
    if (result.code !== 0 && !allowFailure) throw new Error(`helm ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result;
  }

  /** `helm install strata` with the operator image of options.operatorTag; waits for the operator to be ready. */
  private async installChart(): Promise<void> {
    const o = this.options;
    const tag = this.cp.local ? o.operatorTag : (process.env.STRATA_E2E_OPERATOR_TAG ?? '');
    const set = [`operator.image.repository=${OPERATOR_REPOSITORY}`, ...(tag ? [`operator.image.tag=${tag}`] : []), ...o.helmSet];
    await this.helm(['upgrade', '--install', 'strata', CHART_DIR, '-n', o.operatorNamespace, '--create-namespace', ...set.flatMap((s) => ['--set', s])]);
    await this.cp.kubectl(['-n', o.operatorNamespace, 'rollout', 'status', 'deployment/strata-operator', '--timeout=180s']);
    o.log('chart installed, operator ready');
  }

  /** The last lines of a pod's log: the agent's log file locally, `kubectl logs` on an external cluster. */
  async logTail(ns: string, pod: string, lines = 40): Promise<string> {
    if (this.agent) {
      const file = this.agent.podLogPath(ns, pod);
      if (file === undefined || !existsSync(file)) return `(no log of ${ns}/${pod})`;
      return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
    }
    const result = await this.cp.kubectl(['-n', ns, 'logs', pod, `--tail=${lines}`], { allowFailure: true });
    return result.stdout || result.stderr;
  }

  /** The operator's log tail, for failure messages. */
  async operatorLogTail(lines = 40): Promise<string> {
    const pods = await this.kube.pods(this.options.operatorNamespace, 'app.kubernetes.io/name=strata-operator');
    const tails = await Promise.all(pods.map(async (p) => `--- ${p.metadata.name}\n${await this.logTail(this.options.operatorNamespace, p.metadata.name, lines)}`));
    return tails.join('\n');
  }

  async stop(): Promise<void> {
    // A local control plane dies whole; an external cluster gets its release removed.
    if (!this.cp.local && process.env.STRATA_E2E_KEEP !== '1') {
      await this.helm(['uninstall', 'strata', '-n', this.options.operatorNamespace, '--wait', '--timeout', '60s'], true).catch(() => undefined);
    }
    await this.agent?.stop();
    await this.cp.stop();
  }
}
