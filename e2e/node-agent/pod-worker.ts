// One pod on the node, from sandbox to final delete: network namespace, volumes, init containers in order,
// then the containers as processes (`ip netns exec <ns> unshare --mount --uts` + bind mounts + setpriv for
// runAsUser), restarts per restartPolicy with backoff, probes driving readiness and liveness restarts, status
// through pods/status, and on deletion SIGTERM, the grace period, SIGKILL and DELETE with grace 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { containerArgv, containerEnv, type ImageEntry } from './container-env.js';
import { resolvConf, type HostsSelf } from './hosts-file.js';
import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';
import type { PodNetwork } from './pod-network.js';
import type { PodEvents } from './pod-events.js';
import { podStatus, type ContainerState, type ContainerView } from './pod-status.js';
import { prepareVolumes } from './pod-volumes.js';
import { Prober, probeOnce, type ProbeSpec } from './probes.js';

export interface PodWorkerOptions {
  api: KubeApi;
  network: PodNetwork;
  images: Record<string, ImageEntry>;
  workDir: string;
  hostIp: string;
  services: () => KubeObject[];
  hostsFor: (namespace: string, self: HostsSelf) => string;
  events: PodEvents;
  log: (line: string) => void;
}

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_MS = 60_000;

function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

class Container {
  child: ChildProcess | undefined;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | Record<string, never> = {};
  restartCount = 0;
  ready = false;
  started = false;
  done = false;
  containerId: string | undefined;
  startedAtMs = 0;
  fastFailures = 0;
  probers: Prober[] = [];
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: any,
    readonly init: boolean,
    readonly entry: ImageEntry | undefined,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  view(): ContainerView {
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: this.entry ? `strata-node-agent://${this.entry.binDir}` : '',
      containerID: this.containerId,
      state: this.state,
      lastState: this.lastState,
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      done: this.done,
    };
  }
}

export class PodWorker {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  private readonly containers: Container[];
  private readonly init: Container[];
  private readonly podDir: string;
  readonly logDir: string;
  private readonly startTime = now();
  private ip: string | undefined;
  private netns: string | undefined;
  private terminating: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastPatched = '';
  private mountScript = '';

  constructor(
    private pod: KubeObject,
    private readonly options: PodWorkerOptions,
  ) {
    this.namespace = pod.metadata.namespace ?? 'default';
    this.name = pod.metadata.name;
    this.key = `${this.namespace}/${this.name}/${pod.metadata.uid}`;
    const entry = (c: { image: string }) => options.images[c.image];
    this.init = ((pod.spec?.initContainers ?? []) as any[]).map((c) => new Container(c, true, entry(c)));
    this.containers = ((pod.spec?.containers ?? []) as any[]).map((c) => new Container(c, false, entry(c)));
    this.podDir = join(options.workDir, 'pods', `${this.namespace}_${this.name}_${pod.metadata.uid}`);
    this.logDir = join(this.podDir, 'logs');
  }

  get podIp(): string | undefined {
    return this.ip;
  }

  get hostname(): string {
    return (this.pod.spec?.hostname as string | undefined) ?? this.name;
  }

  hostsSelf(): HostsSelf | undefined {
    if (!this.ip) return undefined;
    const sub = this.pod.spec?.subdomain as string | undefined;
    return { ip: this.ip, hostname: this.hostname, fqdn: sub ? `${this.hostname}.${sub}.${this.namespace}.svc.cluster.local` : undefined };
  }

  logPath(container?: string): string {
    return join(this.logDir, `${container ?? this.containers[0]?.spec.name ?? 'main'}.log`);
  }

  /** Signals the main process of a container (the first by default). */
  signal(signal: NodeJS.Signals, container?: string): void {
    const target = this.containers.find((c) => container === undefined || c.spec.name === container);
    if (target?.alive) target.child!.kill(signal);
  }

  /** Latest object from the API; a deletionTimestamp starts termination. */
  update(pod: KubeObject): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace, true);
    }
  }

  async run(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const sandbox = await this.options.network.create(this.key, '', resolvConf(this.namespace));
    this.ip = sandbox.ip;
    this.netns = sandbox.netns;
    if (this.terminating) {
      await this.options.network.remove(this.key);
      return;
    }
    this.options.network.writeHosts(this.key, this.options.hostsFor(this.namespace, this.hostsSelf()!));
    for (const c of [...this.init, ...this.containers]) {
      if (!c.entry) {
        c.state = { waiting: { reason: 'ErrImagePull', message: `image "${c.spec.image}" is not in the node agent's image map` } };
        this.event('Warning', 'Failed', `Failed to pull image "${c.spec.image}": not in the node agent's image map`, c);
      }
    }
    this.scheduleStatus();
    const volumes = await this.prepareVolumesUntilReady();
    if (!volumes) return;
    this.mountScript = this.buildMountScript(volumes);
    for (const c of this.init) {
      if (this.terminating) return;
      if (!(await this.runInit(c))) return;
    }
    for (const c of this.containers) void this.start(c);
  }

  private async prepareVolumesUntilReady(): Promise<Map<string, string> | undefined> {
    for (;;) {
      if (this.terminating) return undefined;
      try {
        const prepared = await prepareVolumes({ api: this.options.api, pod: this.pod, podDir: this.podDir, podIp: this.ip!, hostIp: this.options.hostIp });
        return prepared.paths;
      } catch (error) {
        this.options.log(`${this.namespace}/${this.name}: volumes not ready: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  private buildMountScript(paths: Map<string, string>): string {
    const lines = ['set -e', 'hostname "$HOSTNAME" 2>/dev/null || true'];
    // One script for all containers would mount every volume; kubelet mounts only each container's own.
    for (const c of [...this.init, ...this.containers]) {
      const mounts: string[] = [];
      // Parents before children, so a mount inside another volume's mount lands on top of it.
      const ordered = [...((c.spec.volumeMounts ?? []) as { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[])].sort((a, b) => a.mountPath.length - b.mountPath.length);
      for (const m of ordered) {
        const base = paths.get(m.name);
        if (!base) continue;
        const src = m.subPath ? join(base, m.subPath) : base;
        let isFile = false;
        try {
          isFile = statSync(src).isFile();
        } catch {
          mkdirSync(src, { recursive: true });
        }
        mounts.push(isFile ? `mkdir -p "$(dirname ${q(m.mountPath)})"; [ -e ${q(m.mountPath)} ] || : > ${q(m.mountPath)}` : `mkdir -p ${q(m.mountPath)}`);
        mounts.push(`mount --bind ${q(src)} ${q(m.mountPath)}`);
        if (m.readOnly) mounts.push(`mount -o remount,bind,ro ${q(m.mountPath)}`);
      }
      lines.push(`if [ "$STRATA_AGENT_CONTAINER" = ${q(c.spec.name)} ]; then`, ...mounts.map((l) => `  ${l}`), '  :', 'fi');
    }
    lines.push('unset STRATA_AGENT_CONTAINER', 'cd "${STRATA_AGENT_WORKDIR:-/}"', 'unset STRATA_AGENT_WORKDIR', 'exec "$@"');
    return lines.join('\n');
  }

  private async runInit(c: Container): Promise<boolean> {
    for (;;) {
      if (!c.entry || this.terminating) return false;
      await this.start(c);
      await c.exited;
      if (this.terminating) return false;
      if ('terminated' in c.state && c.state.terminated.exitCode === 0) return true;
      if (c.done) return false; // failed with restartPolicy Never
      await new Promise((r) => setTimeout(r, this.backoff(c)));
    }
  }

  private backoff(c: Container): number {
    return Math.min(BACKOFF_START_MS * 2 ** Math.max(0, c.fastFailures - 1), BACKOFF_MAX_MS);
  }

  private async start(c: Container): Promise<void> {
    if (!c.entry || this.terminating) return;
    const security = { ...(this.pod.spec?.securityContext ?? {}), ...(c.spec.securityContext ?? {}) };
    const runAsUser = security.runAsUser as number | undefined;
    const runAsGroup = (security.runAsGroup as number | undefined) ?? runAsUser;
    let env: Record<string, string>;
    try {
      env = await containerEnv({
        api: this.options.api,
        pod: this.pod,
        container: c.spec,
        image: c.entry,
        podIp: this.ip!,
        hostIp: this.options.hostIp,
        services: this.options.services(),
        nodeCpu: String(cpus().length),
        nodeMemoryBytes: totalmem(),
      });
    } catch (error) {
      c.state = { waiting: { reason: 'CreateContainerConfigError', message: (error as Error).message } };
      this.scheduleStatus();
      c.timer = setTimeout(() => void this.start(c), 2000);
      return;
    }
    if (runAsUser !== undefined && runAsUser !== 0) env.HOME = '/';
    const argv = containerArgv(c.spec.image, c.entry, c.spec, env);
    const groups = [security.fsGroup, ...((security.supplementalGroups as number[] | undefined) ?? [])].filter((g) => g !== undefined);
    const user =
      runAsUser !== undefined && runAsUser !== 0
        ? ['setpriv', `--reuid=${runAsUser}`, `--regid=${runAsGroup}`, groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups', '--']
        : [];
    const full = ['netns', 'exec', this.netns!, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh', '-c', this.mountScript, 'sh', ...user, ...argv];
    const fd = openSync(this.logPath(c.spec.name), 'a');
    const child = spawn('ip', full, {
      env: { ...env, STRATA_AGENT_CONTAINER: c.spec.name, ...(c.spec.workingDir ? { STRATA_AGENT_WORKDIR: c.spec.workingDir } : {}) },
      stdio: ['ignore', fd, fd],
      detached: true, // its own process group: the final SIGKILL reaches the container's children too
    });
    closeSync(fd);
    c.child = child;
    c.startedAtMs = Date.now();
    const startedAt = now();
    c.containerId = `strata://${createHash('sha256').update(`${this.key}/${c.spec.name}/${c.startedAtMs}/${child.pid}`).digest('hex').slice(0, 32)}`;
    c.state = { running: { startedAt } };
    c.started = true;
    c.ready = !c.init && !c.spec.readinessProbe;
    let resolveExit!: () => void;
    c.exited = new Promise<void>((r) => (resolveExit = r));
    child.on('error', (error) => this.options.log(`${this.namespace}/${this.name}/${c.spec.name}: spawn failed: ${error.message}`));
    child.on('exit', (code, signal) => {
      this.onExit(c, startedAt, code, signal);
      resolveExit();
    });
    this.options.log(`${this.namespace}/${this.name}/${c.spec.name}: started pid ${child.pid}: ${argv.join(' ').slice(0, 200)}`);
    this.event('Normal', 'Pulled', `Container image "${c.spec.image}" already present on machine`, c);
    this.event('Normal', 'Started', `Started container ${c.spec.name}`, c);
    if (!c.init) this.startProbes(c, env);
    this.scheduleStatus();
  }

  private startProbes(c: Container, env: Record<string, string>): void {
    const ports = new Map<string, number>(((c.spec.ports ?? []) as { name?: string; containerPort: number }[]).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
    const target = { podIp: this.ip!, ports, pid: () => c.child?.pid, env };
    const child = c.child;
    const current = () => c.child === child && !this.terminating;
    const readiness = c.spec.readinessProbe as ProbeSpec | undefined;
    const liveness = c.spec.livenessProbe as ProbeSpec | undefined;
    const startup = c.spec.startupProbe as ProbeSpec | undefined;
    const fail = (which: string) => {
      this.options.log(`${this.namespace}/${this.name}/${c.spec.name}: ${which} probe failed; restarting`);
      this.event('Warning', 'Unhealthy', `${which[0].toUpperCase()}${which.slice(1)} probe failed`, c);
      this.event('Normal', 'Killing', `Container ${c.spec.name} failed ${which} probe, will be restarted`, c);
      void this.killContainer(c, this.gracePeriod());
    };
    const others = (): Prober[] => {
      const probers: Prober[] = [];
      if (readiness) {
        probers.push(
          new Prober(readiness, target, (ok) => {
            if (!current()) return;
            if (!ok) this.event('Warning', 'Unhealthy', 'Readiness probe failed', c);
            c.ready = ok;
            this.scheduleStatus();
          }),
        );
      }
      if (liveness) probers.push(new Prober(liveness, target, (ok) => !ok && current() && fail('liveness')));
      return probers;
    };
    // A startup probe holds the others back (and `started` false) until it first passes.
    if (startup) {
      c.started = false;
      const startupProber = new Prober(startup, target, (ok) => {
        if (!current()) return;
        startupProber.stop();
        if (!ok) return fail('startup');
        c.started = true;
        if (!readiness) c.ready = true;
        const rest = others();
        c.probers.push(...rest);
        for (const p of rest) p.start();
        this.scheduleStatus();
      });
      c.probers.push(startupProber);
      if (!readiness) c.ready = false;
    } else {
      c.probers.push(...others());
    }
    for (const p of c.probers) p.start();
  }

  private stopProbes(c: Container): void {
    for (const p of c.probers) p.stop();
    c.probers = [];
  }

  get gracePeriodSeconds(): number {
    return this.gracePeriod();
  }

  private gracePeriod(): number {
    return (this.pod.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
  }

  private onExit(c: Container, startedAt: string, code: number | null, signal: NodeJS.Signals | null): void {
    this.stopProbes(c);
    c.ready = false;
    const signum = signal ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGQUIT: 3, SIGABRT: 6, SIGSEGV: 11 }) as Record<string, number>)[signal] ?? 1 : undefined;
    const exitCode = code ?? 128 + (signum ?? 1);
    const terminated: ContainerState = {
      terminated: { exitCode, ...(signum ? { signal: signum } : {}), reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now(), containerID: c.containerId },
    };
    this.options.log(`${this.namespace}/${this.name}/${c.spec.name}: exited (${signal ?? code})`);
    // A process group may outlive its leader (a shell's children): end it with the container.
    try {
      if (c.child?.pid) process.kill(-c.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const policy = (this.pod.spec?.restartPolicy as string | undefined) ?? 'Always';
    const restart = !this.terminating && (policy === 'Always' ? !c.init || exitCode !== 0 : policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      c.state = terminated;
      c.done = !this.terminating ? true : c.done;
      if (c.init && exitCode === 0) c.done = true;
      this.scheduleStatus();
      return;
    }
    c.fastFailures = Date.now() - c.startedAtMs > BACKOFF_RESET_MS ? 1 : c.fastFailures + 1;
    c.lastState = terminated;
    c.restartCount++;
    if (c.init) {
      c.state = terminated;
      this.scheduleStatus();
      return; // runInit restarts it
    }
    const delay = this.backoff(c);
    c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.spec.name} pod=${this.name}` } };
    if (c.fastFailures > 1) this.event('Warning', 'BackOff', 'Back-off restarting failed container', c);
    c.timer = setTimeout(() => void this.start(c), delay);
    this.scheduleStatus();
  }

  /** SIGTERM, up to `grace` seconds, then SIGKILL to the process group; resolves when it has exited. */
  private async killContainer(c: Container, grace: number): Promise<void> {
    if (!c.alive) return;
    const pid = c.child!.pid!;
    const deadline = Date.now() + grace * 1000;
    const preStop = c.spec.lifecycle?.preStop as ProbeSpec | undefined;
    if (preStop && (preStop.exec || preStop.httpGet || preStop.tcpSocket)) {
      // The preStop hook runs first, within the grace period (its result does not matter, as in kubelet).
      const ports = new Map<string, number>(((c.spec.ports ?? []) as { name?: string; containerPort: number }[]).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
      await probeOnce({ ...preStop, timeoutSeconds: grace }, { podIp: this.ip!, ports, pid: () => c.child?.pid, env: { PATH: `${c.entry?.binDir ?? ''}:/usr/local/bin:/usr/bin:/bin` } });
    }
    if (c.alive) c.child!.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())));
    if ((await Promise.race([c.exited.then(() => 'exited' as const), timeout])) === 'timeout') {
      this.options.log(`${this.namespace}/${this.name}/${c.spec.name}: grace period of ${grace}s over; SIGKILL`);
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
      await c.exited;
    }
  }

  /**
   * Stops every container (SIGTERM, grace, SIGKILL), reports them terminated, and, when the API asked for the
   * deletion, finishes it with DELETE gracePeriodSeconds=0; then tears the sandbox down (PV folders stay).
   */
  terminate(grace: number, deleteObject: boolean): Promise<void> {
    if (this.terminating) return this.terminating;
    this.terminating = (async () => {
      this.options.log(`${this.namespace}/${this.name}: terminating (grace ${grace}s)`);
      for (const c of this.containers) if (c.alive) this.event('Normal', 'Killing', `Stopping container ${c.spec.name}`, c);
      for (const c of [...this.init, ...this.containers]) {
        if (c.timer) clearTimeout(c.timer);
        this.stopProbes(c);
        c.ready = false;
      }
      await Promise.all([...this.init, ...this.containers].map((c) => this.killContainer(c, grace)));
      if (deleteObject) {
        await this.patchStatus().catch(() => undefined);
        try {
          await this.options.api.call('DELETE', `/api/v1/namespaces/${this.namespace}/pods/${this.name}`, {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid: this.pod.metadata.uid },
          });
        } catch (error) {
          if (!(error instanceof KubeApiError && (error.status === 404 || error.status === 409))) {
            this.options.log(`${this.namespace}/${this.name}: final delete failed: ${(error as Error).message}`);
          }
        }
      }
      if (this.statusTimer) clearTimeout(this.statusTimer);
      await this.options.network.remove(this.key);
      rmSync(join(this.podDir, 'volumes'), { recursive: true, force: true });
      this.options.log(`${this.namespace}/${this.name}: gone`);
    })();
    return this.terminating;
  }

  /** Process groups of the running containers (the agent SIGKILLs them if it exits without stop()). */
  processGroups(): number[] {
    return [...this.init, ...this.containers].filter((c) => c.alive && c.child?.pid).map((c) => c.child!.pid!);
  }

  get isTerminating(): boolean {
    return this.terminating !== undefined;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, c: Container): void {
    this.options.events.record(this.pod, type, reason, message, c.spec.name);
  }

  private scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.patchStatus().catch((error: Error) => {
        this.options.log(`${this.namespace}/${this.name}: status patch failed: ${error.message}`);
        if (!(error instanceof KubeApiError && error.status === 404)) setTimeout(() => this.scheduleStatus(), 1000);
      });
    }, 50);
  }

  private async patchStatus(): Promise<void> {
    const status = podStatus({
      podIp: this.ip,
      hostIp: this.options.hostIp,
      startTime: this.startTime,
      init: this.init.map((c) => c.view()),
      containers: this.containers.map((c) => c.view()),
      previousConditions: this.pod.status?.conditions ?? [],
      now: now(),
    });
    const body = JSON.stringify(status);
    if (body === this.lastPatched) return;
    const updated = await this.options.api.mergePatch(`/api/v1/namespaces/${this.namespace}/pods/${this.name}/status`, { status });
    this.lastPatched = body;
    this.pod = { ...this.pod, status: updated.status };
  }
}
