// Pod networking on the host: one Linux bridge whose address is the pod CIDR's gateway, and per pod a network
// namespace joined to it by a veth pair (eth0 inside, loopback up, default route via the gateway). Names are
// derived from the pod CIDR, so two agents with different CIDRs never touch each other's devices, and a
// crashed agent's leftovers are found and removed on the next start.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(cidr: string): Cidr {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`bad CIDR ${cidr}`);
  const [a, b, c, d, prefix] = match.slice(1).map(Number);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) & mask, prefix };
}

export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const mask = cidr.prefix === 0 ? 0 : (~0 << (32 - cidr.prefix)) >>> 0;
  return ((ipNumber(ip) & mask) >>> 0) === cidr.base;
}

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function ipQuiet(...args: string[]): Promise<void> {
  await run('ip', args).catch(() => undefined);
}

export interface PodNetworkOptions {
  podCidr: string;
  log: (line: string) => void;
}

export interface PodSandbox {
  key: string;
  netns: string;
  ip: string;
}

export class PodNetwork {
  readonly cidr: Cidr;
  readonly gateway: string;
  readonly bridge: string;
  /** Prefix of every netns this agent creates (found again after a crash). */
  private readonly prefix: string;
  private readonly byKey = new Map<string, PodSandbox>();
  private readonly used = new Set<number>();
  private last = 1;

  constructor(private readonly options: PodNetworkOptions) {
    this.cidr = parseCidr(options.podCidr);
    this.gateway = ipString(this.cidr.base + 1);
    const tag = shortHash(options.podCidr, 6);
    this.bridge = `stbr${tag}`;
    this.prefix = `strata-${tag}-`;
  }

  /** Removes leftovers of a previous agent with this CIDR, then creates the bridge with the gateway address. */
  async start(): Promise<void> {
    await this.removeLeftovers();
    await ip('link', 'add', this.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${this.gateway}/${this.cidr.prefix}`, 'dev', this.bridge);
    await ip('link', 'set', this.bridge, 'up');
  }

  private async removeLeftovers(): Promise<void> {
    const { stdout } = await run('ip', ['netns', 'list']);
    for (const line of stdout.split('\n')) {
      const name = line.split(' ')[0];
      if (name.startsWith(this.prefix)) {
        // Processes a crashed agent left in it would live on, cut off: end them first.
        const pids = await run('ip', ['netns', 'pids', name]).then((r) => r.stdout, () => '');
        for (const pid of pids.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone already
          }
        }
        await ipQuiet('netns', 'del', name);
        rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
      }
    }
    await ipQuiet('link', 'del', this.bridge);
  }

  /**
   * The next free address after the last one given (as host-local IPAM does): an address freed a moment ago is
   * not handed out again at once, so no neighbour (ARP) entry of the old pod's veth points at the new pod.
   */
  private allocate(): string {
    const size = 2 ** (32 - this.cidr.prefix);
    for (let i = 0; i < size - 3; i++) {
      const offset = 2 + ((this.last - 2 + 1 + i + (size - 3)) % (size - 3));
      if (!this.used.has(offset)) {
        this.used.add(offset);
        this.last = offset;
        return ipString(this.cidr.base + offset);
      }
    }
    throw new Error(`pod CIDR ${this.options.podCidr} is full`);
  }

  get(key: string): PodSandbox | undefined {
    return this.byKey.get(key);
  }

  /** A network namespace on the bridge for `key` (ns/pod/uid), with /etc/netns/<netns>/{hosts,resolv.conf}. */
  async create(key: string, hosts: string, resolvConf: string): Promise<PodSandbox> {
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const tag = shortHash(`${this.options.podCidr}/${key}`, 10);
    const sandbox: PodSandbox = { key, netns: `${this.prefix}${tag}`, ip: this.allocate() };
    this.byKey.set(key, sandbox);
    const hostSide = `sv${tag}`;
    const podSide = `sp${tag}`;
    const dir = `/etc/netns/${sandbox.netns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/hosts`, hosts);
    writeFileSync(`${dir}/resolv.conf`, resolvConf);
    try {
      await ip('netns', 'add', sandbox.netns);
      await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', podSide);
      await ip('link', 'set', podSide, 'netns', sandbox.netns);
      await ip('link', 'set', hostSide, 'master', this.bridge, 'up');
      await ip('-n', sandbox.netns, 'link', 'set', 'lo', 'up');
      await ip('-n', sandbox.netns, 'link', 'set', podSide, 'name', 'eth0');
      await ip('-n', sandbox.netns, 'addr', 'add', `${sandbox.ip}/${this.cidr.prefix}`, 'dev', 'eth0');
      await ip('-n', sandbox.netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', sandbox.netns, 'route', 'add', 'default', 'via', this.gateway);
    } catch (error) {
      await this.remove(key);
      throw error;
    }
    this.options.log(`netns ${sandbox.netns} for ${key}: ${sandbox.ip}`);
    return sandbox;
  }

  /**
   * Rewrites a sandbox's hosts file in place: `ip netns exec` bind-mounts the file's inode over /etc/hosts, so
   * a rename would leave running processes on the old content.
   */
  writeHosts(key: string, hosts: string): void {
    const sandbox = this.byKey.get(key);
    if (sandbox) writeFileSync(`/etc/netns/${sandbox.netns}/hosts`, hosts);
  }

  /** Deletes the namespace (which deletes its veth pair) and its /etc/netns folder; the IP is free again. */
  async remove(key: string): Promise<void> {
    const sandbox = this.byKey.get(key);
    if (!sandbox) return;
    this.byKey.delete(key);
    await ipQuiet('netns', 'del', sandbox.netns);
    await ipQuiet('link', 'del', `sv${sandbox.netns.slice(this.prefix.length)}`);
    rmSync(`/etc/netns/${sandbox.netns}`, { recursive: true, force: true });
    // The host's neighbour entry for this address names the deleted veth's MAC: forget it for the next pod.
    await ipQuiet('neigh', 'flush', 'to', sandbox.ip, 'dev', this.bridge);
    this.used.delete(ipNumber(sandbox.ip) - this.cidr.base);
  }

  /** Adds an extra address (a ClusterIP, /32) to the bridge, so traffic from pods to it is delivered locally. */
  async addAddress(address: string): Promise<void> {
    await ip('addr', 'replace', `${address}/32`, 'dev', this.bridge);
  }

  async removeAddress(address: string): Promise<void> {
    await ipQuiet('addr', 'del', `${address}/32`, 'dev', this.bridge);
  }

  /** Every sandbox, then the bridge (with its addresses). */
  async stop(): Promise<void> {
    for (const key of [...this.byKey.keys()]) await this.remove(key);
    await ipQuiet('link', 'del', this.bridge);
  }
}
