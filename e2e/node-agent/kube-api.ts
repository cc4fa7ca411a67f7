// A small Kubernetes REST client for the agent: HTTPS with the kubeconfig's embedded client certificate,
// JSON in and out, and watches as newline-delimited JSON. Raw REST keeps the agent's requests exactly the
// ones kubelet makes (pods/status, leases, a final DELETE with gracePeriodSeconds 0).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { load } from 'js-yaml';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    [key: string]: unknown;
  };
  // The agent reads a few fields of many kinds: spec and status stay untyped.
  spec?: any;
  status?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users: { name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; token?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

function fileOrData(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(file);
  return undefined;
}

export class KubeApi {
  readonly server: URL;
  private readonly agent: Agent;
  private readonly token: string | undefined;

  constructor(kubeconfigPath: string) {
    const config = load(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
    const context = config.contexts.find((c) => c.name === config['current-context']) ?? config.contexts[0];
    const cluster = config.clusters.find((c) => c.name === context.context.cluster)!.cluster;
    const user = config.users.find((u) => u.name === context.context.user)!.user;
    this.server = new URL(cluster.server);
    this.token = user.token;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: fileOrData(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: fileOrData(user['client-certificate-data'], user['client-certificate']),
      key: fileOrData(user['client-key-data'], user['client-key']),
    });
  }

  /** The apiserver's host and port as a TCP target (the ClusterIP proxy forwards the `kubernetes` Service here). */
  get target(): { host: string; port: number } {
    return { host: this.server.hostname, port: Number(this.server.port || 443) };
  }

  async call<T = KubeObject>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolvePromise, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) reject(new KubeApiError(res.statusCode ?? 500, text, `${method} ${path}`));
            else resolvePromise((text ? JSON.parse(text) : {}) as T);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  async list(path: string): Promise<KubeObject[]> {
    return (await this.call<{ items: KubeObject[] }>('GET', path)).items;
  }

  create(path: string, body: unknown): Promise<KubeObject> {
    return this.call('POST', path, body);
  }

  mergePatch(path: string, body: unknown): Promise<KubeObject> {
    return this.call('PATCH', path, body, 'application/merge-patch+json');
  }

  /** A GET that answers undefined for 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Watches `path` (a collection URL, query allowed) and calls onEvent for each event until stop() is called;
   * reconnects after errors. Events only trigger the agent's re-list, so a missed event is harmless.
   */
  watch(path: string, onEvent: (type: string, object: KubeObject) => void): { stop(): void } {
    let stopped = false;
    let current: { destroy(): void } | undefined;
    const sep = path.includes('?') ? '&' : '?';
    const loop = (): void => {
      if (stopped) return;
      const req = request(
        new URL(`${path}${sep}watch=1&timeoutSeconds=300`, this.server),
        { method: 'GET', agent: this.agent, headers: { accept: 'application/json' } },
        (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline).trim();
              buffer = buffer.slice(newline + 1);
              if (!line) continue;
              try {
                const event = JSON.parse(line) as { type: string; object: KubeObject };
                onEvent(event.type, event.object);
              } catch {
                // a malformed line only costs one trigger: the periodic re-list covers it
              }
            }
          });
          res.on('end', () => setTimeout(loop, 200));
          res.on('error', () => setTimeout(loop, 1000));
        },
      );
      req.on('error', () => {
        if (!stopped) setTimeout(loop, 1000);
      });
      req.end();
      current = req;
    };
    loop();
    return {
      stop: () => {
        stopped = true;
        current?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
