// The e2e tier's handle on a Kubernetes control plane: starts the local one (build.sh, start.sh) and stops it
// (stop.sh), or, when STRATA_E2E_KUBECONFIG names a kubeconfig, uses that cluster and starts nothing, so the
// same tests run against kind or a cloud cluster. Tests drive the cluster through `kubectl` (and helm) with
// env() or kubeconfig, exactly as a user would.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (two levels above e2e/control-plane). */
export const REPO_ROOT = resolve(here, '..', '..');

/** The Kubernetes version build.sh and start.sh use (K8S_VERSION overrides). */
export const K8S_VERSION = process.env.K8S_VERSION ?? 'v1.32.4';

/** Where build.sh puts the binaries of `version` (STRATA_K8S_CACHE moves the cache). */
export function controlPlaneBinDir(version = K8S_VERSION): string {
  return join(process.env.STRATA_K8S_CACHE ?? join(REPO_ROOT, '.cache', 'k8s'), version, 'bin');
}

/** True when the four binaries of `version` are built (start.sh then needs no build). */
export function controlPlaneBuilt(version = K8S_VERSION): boolean {
  const bin = controlPlaneBinDir(version);
  return ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((b) => existsSync(join(bin, b)));
}

export interface ControlPlaneOptions {
  /** The run's name: its data, logs and kubeconfig live under .cache/e2e/<run>. */
  run: string;
  /** Run build.sh first (a no-op when the pinned binaries are cached). */
  build: boolean;
  /** On stop, keep .cache/e2e/<run> (logs, certificates, etcd data) for a post-mortem. */
  keepOnStop: boolean;
  /**
   * An existing cluster's kubeconfig (default STRATA_E2E_KUBECONFIG): nothing is started or stopped, tests run
   * against that cluster. '' means the local control plane regardless of the environment.
   */
  externalKubeconfig: string | undefined;
  /** Extra environment for the scripts (K8S_VERSION, K8S_APISERVER_PORT, ...). */
  env: Record<string, string>;
}

export function resolveControlPlaneOptions(options: Partial<ControlPlaneOptions> = {}): ControlPlaneOptions {
  return {
    run: options.run ?? process.env.STRATA_E2E_RUN ?? 'e2e',
    build: options.build ?? true,
    keepOnStop: options.keepOnStop ?? process.env.STRATA_E2E_KEEP === '1',
    // '' forces the local control plane even when STRATA_E2E_KUBECONFIG is set.
    externalKubeconfig:
      options.externalKubeconfig !== undefined
        ? options.externalKubeconfig || undefined
        : process.env.STRATA_E2E_KUBECONFIG || undefined,
    env: options.env ?? {},
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (for `apply -f -`). */
  input?: string;
  /** Resolve with the result instead of rejecting when kubectl exits non-zero. */
  allowFailure?: boolean;
}

/** Runs a command to completion, collecting its output; `inheritStderr` streams progress to the test log. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; inheritStderr?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin?.end(options.input ?? '');
  });
}

export class ControlPlane {
  private stopped = false;

  private constructor(
    private readonly options: ControlPlaneOptions,
    /** The admin kubeconfig (system:masters) that kubectl and helm use. */
    readonly kubeconfig: string,
  ) {}

  /** Builds (if needed) and starts the local control plane, or adopts STRATA_E2E_KUBECONFIG's cluster. */
  static async start(partial: Partial<ControlPlaneOptions> = {}): Promise<ControlPlane> {
    const options = resolveControlPlaneOptions(partial);
    if (options.externalKubeconfig) {
      if (!existsSync(options.externalKubeconfig)) {
        throw new Error(`STRATA_E2E_KUBECONFIG=${options.externalKubeconfig} does not exist`);
      }
      return new ControlPlane(options, resolve(options.externalKubeconfig));
    }
    const args = ['--run', options.run, ...(options.build ? [] : ['--no-build'])];
    const result = await runCommand(join(here, 'start.sh'), args, {
      env: { ...process.env, ...options.env },
      inheritStderr: true,
    });
    const match = /^export KUBECONFIG=(.+)$/m.exec(result.stdout);
    if (result.code !== 0 || !match) {
      throw new Error(`start.sh failed (exit ${result.code}); logs under ${runDirOf(options.run)}/logs`);
    }
    return new ControlPlane(options, match[1].trim());
  }

  /** True when this handle started the cluster (and stop() will end it). */
  get local(): boolean {
    return this.options.externalKubeconfig === undefined;
  }

  /** .cache/e2e/<run> of a local control plane. */
  get runDir(): string {
    return runDirOf(this.options.run);
  }

  get logsDir(): string {
    return join(this.runDir, 'logs');
  }

  /** The run's certificates: ca.crt/ca.key sign client certs (a node agent's system:node:<name>), sa.key tokens. */
  get pkiDir(): string {
    return join(this.runDir, 'pki');
  }

  /** ports.env of a local run: K8S_APISERVER_URL, K8S_APISERVER_PORT, K8S_ETCD_PORT, ...; {} for an external one. */
  ports(): Record<string, string> {
    const file = join(this.runDir, 'ports.env');
    if (!this.local || !existsSync(file)) return {};
    const entries = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]] as const);
    return Object.fromEntries(entries);
  }

  /** The environment for child processes (kubectl, helm, the operator) pointed at this cluster. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig };
  }

  /** Runs kubectl against this cluster; rejects with its stderr on a non-zero exit unless allowFailure. */
  async kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<CommandResult> {
    const result = await runCommand('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {
      env: this.env(),
      input: options.input,
    });
    if (result.code !== 0 && !options.allowFailure) {
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    }
    return result;
  }

  /** `kubectl get -o json` parsed. */
  async getJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
    const result = await this.kubectl(['get', ...args, '-o', 'json']);
    return JSON.parse(result.stdout) as T;
  }

  /** Stops a local control plane and removes its data (unless keepOnStop); a no-op for an external one. */
  async stop(): Promise<void> {
    if (this.stopped || !this.local) return;
    this.stopped = true;
    const args = ['--run', this.options.run, ...(this.options.keepOnStop ? ['--keep'] : [])];
    const result = await runCommand(join(here, 'stop.sh'), args, { env: { ...process.env, ...this.options.env } });
    if (result.code !== 0) throw new Error(`stop.sh failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
}

function runDirOf(run: string): string {
  return join(REPO_ROOT, '.cache', 'e2e', run);
}
