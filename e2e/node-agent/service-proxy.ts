// A userspace ClusterIP proxy (kube-proxy's old userspace mode): each ClusterIP is an address on the pod bridge,
// the agent listens on ClusterIP:port and forwards each TCP connection to a ready endpoint of the Service's
// EndpointSlices, round-robin. The `kubernetes` Service (no endpoints here) forwards to the apiserver itself.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { KubeObject } from './kube-api.js';
import { cidrContains, type Cidr } from './pod-network.js';

export interface ServiceProxyOptions {
  serviceCidr: Cidr;
  apiserver: { host: string; port: number };
  addAddress: (ip: string) => Promise<void>;
  removeAddress: (ip: string) => Promise<void>;
  log: (line: string) => void;
}

interface Target {
  host: string;
  port: number;
}

interface Listener {
  server: Server;
  /** Targets for this Service port, refreshed on every sync. */
  targets: Target[];
  next: number;
}

export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly addresses = new Set<string>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ServiceProxyOptions) {}

  /** Brings listeners and targets in line with the Services and EndpointSlices. */
  async sync(services: KubeObject[], slices: KubeObject[]): Promise<void> {
    const wanted = new Map<string, { ip: string; port: number; targets: Target[] }>();
    for (const service of services) {
      const clusterIp = service.spec?.clusterIP as string | undefined;
      if (!clusterIp || clusterIp === 'None' || !cidrContains(this.options.serviceCidr, clusterIp)) continue;
      const isApi = service.metadata.namespace === 'default' && service.metadata.name === 'kubernetes';
      const mine = slices.filter(
        (s) => s.metadata.namespace === service.metadata.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === service.metadata.name,
      );
      for (const port of (service.spec?.ports ?? []) as { name?: string; port: number; protocol?: string }[]) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue;
        const targets: Target[] = isApi ? [this.options.apiserver] : [];
        for (const slice of mine) {
          const slicePort = ((slice.ports ?? []) as { name?: string; port?: number }[]).find((p) => (p.name ?? '') === (port.name ?? ''));
          if (!slicePort?.port) continue;
          for (const endpoint of (slice.endpoints ?? []) as { addresses: string[]; conditions?: { ready?: boolean } }[]) {
            if (endpoint.conditions?.ready === false) continue;
            targets.push({ host: endpoint.addresses[0], port: slicePort.port });
          }
        }
        wanted.set(`${clusterIp}:${port.port}`, { ip: clusterIp, port: port.port, targets });
      }
    }
    for (const [key, listener] of this.listeners) {
      if (!wanted.has(key)) {
        listener.server.close();
        this.listeners.delete(key);
      }
    }
    const ips = new Set([...wanted.values()].map((w) => w.ip));
    for (const address of this.addresses) {
      if (!ips.has(address)) {
        await this.options.removeAddress(address);
        this.addresses.delete(address);
      }
    }
    for (const address of ips) {
      if (!this.addresses.has(address)) {
        await this.options.addAddress(address);
        this.addresses.add(address);
      }
    }
    for (const [key, want] of wanted) {
      const existing = this.listeners.get(key);
      if (existing) {
        existing.targets = want.targets;
        continue;
      }
      const listener: Listener = { server: createServer((socket) => this.forward(listener, socket)), targets: want.targets, next: 0 };
      this.listeners.set(key, listener);
      await new Promise<void>((resolvePromise) => {
        listener.server.once('error', (error) => {
          this.options.log(`service proxy: cannot listen on ${key}: ${error.message}`);
          this.listeners.delete(key);
          resolvePromise();
        });
        listener.server.listen({ host: want.ip, port: want.port }, () => resolvePromise());
      });
    }
  }

  private forward(listener: Listener, client: Socket): void {
    if (listener.targets.length === 0) {
      client.destroy(); // no ready endpoint: refuse, as kube-proxy's REJECT rule does
      return;
    }
    const target = listener.targets[listener.next++ % listener.targets.length];
    const upstream = connect({ host: target.host, port: target.port });
    this.sockets.add(client).add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async stop(): Promise<void> {
    for (const listener of this.listeners.values()) listener.server.close();
    this.listeners.clear();
    for (const socket of this.sockets) socket.destroy();
    for (const address of this.addresses) await this.options.removeAddress(address);
    this.addresses.clear();
  }
}
