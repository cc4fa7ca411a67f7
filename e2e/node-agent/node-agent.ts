// The node agent: the e2e tier's kubelet stand-in. Registers one Node, runs every pod bound to it as real
// processes (each in its own network namespace on a host bridge, with a per-pod hosts file and a private
// mount namespace for its volumes), provisions hostPath PVs for pending claims, and proxies ClusterIP
// Services in userspace. See README.md for what differs from kubelet.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostsFile, resolvConf, type HostsSelf } from './hosts-file.js';
import { KubeApi, type KubeObject } from './kube-api.js';
import { NodeRegistration } from './node-registration.js';
import { PodEvents } from './pod-events.js';
import { PodNetwork, parseCidr } from './pod-network.js';
import { PodWorker } from './pod-worker.js';
import { PvProvisioner } from './pv-provisioner.js';
import { ServiceProxy } from './service-proxy.js';

export interface ImageMap {
  /**
   * image ref -> a folder whose executables (strata-server, strata, strata-operator, ...) are put first on the
   * container's PATH. `entrypoint` is the image's ENTRYPOINT for containers without `command` (default: the
   * executable in binDir named like the image's repository basename, e.g. ghcr.io/strata/strata-operator:0.1.0
   * -> <binDir>/strata-operator). An image not in the map leaves the container Waiting with reason ErrImagePull.
   */
  [image: string]: { binDir: string; entrypoint?: string[] };
}

export interface NodeAgentOptions {
  kubeconfig: string;
  /** Default strata-e2e-node. */
  nodeName?: string;
  images: ImageMap;
  /** Pod dirs (pods/<ns>_<pod>_<uid>/, logs/ inside), PV dirs (pv/<ns>-<claim>). */
  workDir: string;
  /** Default 10.88.0.0/24; the gateway (.1) is on a host bridge and is the Node's InternalIP. */
  podCidr?: string;
  /** The apiserver's --service-cluster-ip-range (default 10.96.0.0/16): the ClusterIPs the proxy serves. */
  serviceCidr?: string;
  log?: (line: string) => void;
}

export interface ResolvedNodeAgentOptions {
  kubeconfig: string;
  nodeName: string;
  images: ImageMap;
  workDir: string;
  podCidr: string;
  serviceCidr: string;
  log: (line: string) => void;
  /** stop(): the longest a pod gets between SIGTERM and SIGKILL (its own grace period when shorter). */
  stopGraceSeconds: number;
  /** Re-list everything this often even without watch events. */
  resyncMs: number;
}

export function resolveNodeAgentOptions(options: NodeAgentOptions): ResolvedNodeAgentOptions {
  return {
    kubeconfig: options.kubeconfig,
    nodeName: options.nodeName ?? 'strata-e2e-node',
    images: options.images,
    workDir: resolve(options.workDir),
    podCidr: options.podCidr ?? '10.88.0.0/24',
    serviceCidr: options.serviceCidr ?? '10.96.0.0/16',
    log: options.log ?? (() => undefined),
    stopGraceSeconds: 10,
    resyncMs: 5000,
  };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fn` one at a time; triggers during a run cause exactly one more run. */
class Trigger {
  private running = false;
  private again = false;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  fire(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      do {
        this.again = false;
        await new Promise((r) => setTimeout(r, 30));
        await this.fn().catch(this.onError);
      } while (this.again);
      this.running = false;
    })();
  }
}

export class NodeAgent {
  private readonly workers = new Map<string, PodWorker>();
  /** uids of pods whose workers finished: never started again. */
  private readonly finished = new Set<string>();
  private readonly execSandboxes = new Set<string>();
  private pods: KubeObject[] = [];
  private services: KubeObject[] = [];
  private watches: { stop(): void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private execCounter = 0;
  private stopped = false;
  private readonly podSync: Trigger;
  private readonly networkSync: Trigger;
  private readonly pvSync: Trigger;
  private readonly events: PodEvents;

  private constructor(
    private readonly options: ResolvedNodeAgentOptions,
    private readonly api: KubeApi,
    private readonly network: PodNetwork,
    private readonly proxy: ServiceProxy,
    private readonly registration: NodeRegistration,
    private readonly provisioner: PvProvisioner,
  ) {
    const onError = (what: string) => (error: Error) => options.log(`${what} failed: ${error.message}`);
    this.podSync = new Trigger(() => this.syncPods(), onError('pod sync'));
    this.networkSync = new Trigger(() => this.syncNetwork(), onError('network sync'));
    this.pvSync = new Trigger(() => this.provisioner.sync(), onError('PV provisioning'));
    this.events = new PodEvents(api, options.nodeName, options.log);
  }

  static async start(partial: NodeAgentOptions): Promise<NodeAgent> {
    const options = resolveNodeAgentOptions(partial);
    const log = (line: string) => options.log(`node-agent: ${line}`);
    mkdirSync(options.workDir, { recursive: true });
    // Pods running as non-root (runAsUser) must reach their volumes and logs below it.
    chmodSync(options.workDir, 0o755);
    const api = new KubeApi(options.kubeconfig);
    const network = new PodNetwork({ podCidr: options.podCidr, log });
    await network.start();
    const proxy = new ServiceProxy({
      serviceCidr: parseCidr(options.serviceCidr),
      apiserver: api.target,
      addAddress: (ip) => network.addAddress(ip),
      removeAddress: (ip) => network.removeAddress(ip),
      log,
    });
    const registration = new NodeRegistration({ api, nodeName: options.nodeName, internalIp: network.gateway, podCidr: options.podCidr, log });
    try {
      await registration.start();
    } catch (error) {
      await network.stop();
      throw error;
    }
    const provisioner = new PvProvisioner(api, options.nodeName, options.workDir, log);
    const agent = new NodeAgent({ ...options, log }, api, network, proxy, registration, provisioner);
    process.once('exit', agent.onExit);
    agent.begin();
    return agent;
  }

  /** The agent's process exits without stop() (a test runner killed): no pod process may outlive it. */
  private readonly onExit = (): void => {
    for (const worker of this.workers.values()) {
      for (const group of worker.processGroups()) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  };

  private begin(): void {
    const node = this.options.nodeName;
    this.watches = [
      this.api.watch('/api/v1/pods', (_type, pod) => {
        if (pod.spec?.nodeName === node) this.podSync.fire();
        this.networkSync.fire();
      }),
      this.api.watch('/api/v1/services', () => this.networkSync.fire()),
      this.api.watch('/apis/discovery.k8s.io/v1/endpointslices', () => this.networkSync.fire()),
      this.api.watch('/api/v1/persistentvolumeclaims', () => this.pvSync.fire()),
    ];
    const all = () => {
      this.podSync.fire();
      this.networkSync.fire();
      this.pvSync.fire();
    };
    all();
    this.timer = setInterval(all, this.options.resyncMs);
  }

  private async syncPods(): Promise<void> {
    if (this.stopped) return;
    const selector = encodeURIComponent(`spec.nodeName=${this.options.nodeName}`);
    const pods = await this.api.list(`/api/v1/pods?fieldSelector=${selector}`);
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      const existing = this.workers.get(uid);
      if (existing) {
        existing.update(pod);
        continue;
      }
      if (this.finished.has(uid)) {
        // Its processes are gone; a final delete that failed earlier is tried again.
        if (pod.metadata.deletionTimestamp) await this.finalDelete(pod);
        continue;
      }
      const worker = new PodWorker(pod, {
        api: this.api,
        network: this.network,
        images: this.options.images,
        workDir: this.options.workDir,
        hostIp: this.network.gateway,
        services: () => this.services,
        hostsFor: (namespace, self) => this.hostsFor(namespace, self),
        events: this.events,
        log: this.options.log,
      });
      this.workers.set(uid, worker);
      worker.update(pod);
      void worker
        .run()
        .catch((error: Error) => this.options.log(`${worker.key}: ${error.message}`))
        .finally(() => this.networkSync.fire());
      void this.whenDone(uid, worker);
    }
    for (const [uid, worker] of this.workers) {
      // Gone from the API without our final delete (a forced delete): stop it quickly.
      if (!seen.has(uid) && !worker.isTerminating) void worker.terminate(2, false);
    }
  }

  private async finalDelete(pod: KubeObject): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    await this.api
      .call('DELETE', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
      .catch((error: Error) => this.options.log(`final delete of ${ns}/${pod.metadata.name}: ${error.message}`));
  }

  private async whenDone(uid: string, worker: PodWorker): Promise<void> {
    // Poll for the end of termination (terminate() is started by update() or syncPods()).
    while (!worker.isTerminating) await new Promise((r) => setTimeout(r, 200));
    await worker.terminate(0, false);
    this.finished.add(uid);
    this.workers.delete(uid);
    this.networkSync.fire();
  }

  private hostsFor(namespace: string, self: HostsSelf | undefined): string {
    return hostsFile({ pods: this.pods, services: this.services, podIps: this.podIps() }, namespace, self);
  }

  private podIps(): Map<string, string> {
    const ips = new Map<string, string>();
    for (const w of this.workers.values()) if (w.podIp && !w.isTerminating) ips.set(`${w.namespace}/${w.name}`, w.podIp);
    return ips;
  }

  private async syncNetwork(): Promise<void> {
    if (this.stopped) return;
    const [pods, services, slices] = await Promise.all([
      this.api.list('/api/v1/pods'),
      this.api.list('/api/v1/services'),
      this.api.list('/apis/discovery.k8s.io/v1/endpointslices'),
    ]);
    this.pods = pods;
    this.services = services;
    for (const worker of this.workers.values()) {
      const self = worker.hostsSelf();
      if (self && !worker.isTerminating) this.network.writeHosts(worker.key, this.hostsFor(worker.namespace, self));
    }
    for (const key of this.execSandboxes) this.network.writeHosts(key, this.hostsFor('default', undefined));
    await this.proxy.sync(services, slices);
  }

  /** SIGTERM every pod process, grace (at most 10 s), SIGKILL; removes netns, veths, bridge and addresses. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.onExit);
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watches) w.stop();
    this.registration.stop();
    await Promise.all(
      [...this.workers.values()].map((w) => w.terminate(Math.min(this.options.stopGraceSeconds, w.gracePeriodSeconds), false)),
    );
    await this.proxy.stop();
    await this.network.stop();
    this.api.close();
  }

  private worker(namespace: string, pod: string): PodWorker | undefined {
    let found: PodWorker | undefined;
    for (const w of this.workers.values()) {
      if (w.namespace === namespace && w.name === pod && (!found || !w.isTerminating)) found = w;
    }
    return found;
  }

  podIp(namespace: string, pod: string): string | undefined {
    return this.worker(namespace, pod)?.podIp;
  }

  /** The log file of a container (the first one by default); stdout and stderr together, as written. */
  podLogPath(namespace: string, pod: string, container?: string): string | undefined {
    return this.worker(namespace, pod)?.logPath(container);
  }

  /** Runs a command as a "pod-like" client: in its own netns on the pod network with the cluster's hosts file. */
  async exec(argv: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecResult> {
    const key = `exec/${++this.execCounter}`;
    const sandbox = await this.network.create(key, this.hostsFor('default', undefined), resolvConf('default'));
    this.execSandboxes.add(key);
    try {
      return await new Promise<ExecResult>((resolvePromise, reject) => {
        const child = spawn('ip', ['netns', 'exec', sandbox.netns, ...argv], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolvePromise({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
        });
      });
    } finally {
      this.execSandboxes.delete(key);
      await this.network.remove(key);
    }
  }

  /** Kill a pod's main process with a signal (SIGKILL for crash tests); the agent then restarts it per restartPolicy. */
  killPod(namespace: string, pod: string, signal: NodeJS.Signals): void {
    const worker = this.worker(namespace, pod);
    if (!worker) throw new Error(`no pod ${namespace}/${pod} on this node`);
    worker.signal(signal);
  }
}
