// The node agent against a real control plane: a StatefulSet of two tiny HTTP servers runs as processes in
// their own network namespaces, becomes Ready through its readiness probe, resolves its peers' headless names,
// is reached through a ClusterIP Service, keeps its PVC data across a pod's deletion (preStop hook, SIGTERM,
// grace period, SIGKILL) and re-creation, is restarted after a SIGKILL; an unknown image stays Waiting/ErrImagePull.
// Own run name, ports, pod CIDR (10.89.0.0/24) and service CIDR (10.97.0.0/16): it never collides with other runs.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, REPO_ROOT } from '../control-plane/control-plane.js';
import { CONTROL_PLANE_PORTS } from '../control-plane/control-plane-ports.js';
import { waitFor } from '../harness/wait.js';
import { NodeAgent } from './node-agent.js';

const NS = 'agent-test';
const NODE = 'h11-test-node';
const POD_CIDR = '10.89.0.0/24';
const WORK = join(REPO_ROOT, '.cache', 'node-agent-test');
const IMAGE = 'e2e/tiny-http:1';

// The "image": a tiny HTTP server (an ES module: it lives in the repository, whose package.json says "module"). /ready and /live answer 200; / names the pod; /whoami its uid and env;
// /fetch?url= fetches another URL from inside the pod; /write?value= and /read use the PVC at /data.
// SIGTERM is recorded in /data/sigterm and otherwise ignored, so only the grace period's SIGKILL ends it.
const TINY_HTTP = `#!/usr/bin/env node
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
let failReady = false;
let failLive = false;
process.on('SIGTERM', () => { fs.appendFileSync('/data/sigterm', 'SIGTERM ' + Date.now() + '\\n'); console.log('SIGTERM received'); });
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const reply = (code, body) => { res.writeHead(code); res.end(body); };
  if (url.pathname === '/ready') return reply(failReady ? 503 : 200, 'ready?');
  if (url.pathname === '/live') return reply(failLive ? 503 : 200, 'live?');
  if (url.pathname === '/unready') { failReady = true; return reply(200, 'now failing readiness'); }
  if (url.pathname === '/unlive') { failLive = true; return reply(200, 'now failing liveness'); }
  if (url.pathname === '/') return reply(200, process.env.POD_NAME + '\\n');
  if (url.pathname === '/whoami') return reply(200, JSON.stringify({ uid: process.getuid(), hostname: os.hostname(), env: process.env }));
  if (url.pathname === '/write') { fs.writeFileSync('/data/value', url.searchParams.get('value')); return reply(200, 'written'); }
  if (url.pathname === '/read') return reply(200, fs.existsSync('/data/value') ? fs.readFileSync('/data/value', 'utf8') : '');
  if (url.pathname === '/sigterm') return reply(200, fs.existsSync('/data/sigterm') ? fs.readFileSync('/data/sigterm', 'utf8') : '');
  if (url.pathname === '/prestop') return reply(200, fs.existsSync('/data/prestop') ? fs.readFileSync('/data/prestop', 'utf8') : '');
  if (url.pathname === '/fetch') {
    http.get(url.searchParams.get('url'), (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => reply(200, b)); })
      .on('error', (e) => reply(502, String(e)));
    return;
  }
  reply(404, 'no');
}).listen(Number(process.env.PORT), '0.0.0.0', () => console.log('listening on ' + process.env.PORT));
`;

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: ${NS}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: ${NS}}
spec:
  serviceName: web
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 3
      securityContext: {runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001}
      containers:
      - name: web
        image: ${IMAGE}
        command: [tiny-http]
        env:
        - {name: PORT, value: "8080"}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports: [{name: http, containerPort: 8080}]
        startupProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1, failureThreshold: 30}
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1}
        lifecycle:
          preStop: {exec: {command: [sh, -c, "echo preStop >> /data/prestop"]}}
        livenessProbe: {httpGet: {path: /live, port: http}, periodSeconds: 2, initialDelaySeconds: 2}
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      state: Record<string, { reason?: string }>;
      lastState: { terminated?: { exitCode: number; signal?: number } };
    }[];
  };
}

/** The harness's bounded wait, every 300 ms. */
const eventually = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> =>
  waitFor(check, { what, timeoutMs, intervalMs: 300 });

function httpGet(url: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolvePromise(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

const ready = (pod: Pod) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('node agent', () => {
  let cp: ControlPlane;
  let agent: NodeAgent;
  const getPod = (name: string) => cp.getJson<Pod>(['-n', NS, 'pod', name]);
  const readyPod = (name: string) => eventually(`${name} Ready`, async () => {
    const pod = await getPod(name);
    return ready(pod) && !pod.metadata.deletionTimestamp ? pod : undefined;
  });

  beforeAll(async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(WORK, 'image-bin'), { recursive: true });
    writeFileSync(join(WORK, 'image-bin', 'tiny-http'), TINY_HTTP);
    chmodSync(join(WORK, 'image-bin', 'tiny-http'), 0o755);
    cp = await ControlPlane.start({
      run: 'node-agent-test',
      externalKubeconfig: '',
      env: {
        ...CONTROL_PLANE_PORTS.nodeAgent,
        K8S_SERVICE_CIDR: '10.97.0.0/16',
        K8S_SERVICE_IP: '10.97.0.1',
      },
    });
    agent = await NodeAgent.start({
      kubeconfig: cp.kubeconfig,
      nodeName: NODE,
      images: { [IMAGE]: { binDir: join(WORK, 'image-bin') } },
      workDir: join(WORK, 'agent'),
      podCidr: POD_CIDR,
      serviceCidr: '10.97.0.0/16',
      log: (line) => appendFileSync(join(WORK, 'agent.log'), `${new Date().toISOString()} ${line}\n`),
    });
    await cp.kubectl(['apply', '-f', '-'], { input: MANIFESTS });
  });

  afterAll(async () => {
    await agent?.stop();
    await cp?.stop();
  });

  it('registers a Ready node and renews its Lease', async () => {
    const node = await cp.getJson<{ status: { conditions: { type: string; status: string }[]; addresses: { address: string }[] } }>(['node', NODE]);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses[0].address).toBe('10.89.0.1');
    const lease = await cp.getJson<{ spec: { holderIdentity: string } }>(['-n', 'kube-node-lease', 'lease', NODE]);
    expect(lease.spec.holderIdentity).toBe(NODE);
  });

  it('runs the StatefulSet: pod IPs on the pod network, Ready through the readiness probe, PVCs bound to hostPath PVs', async () => {
    for (const name of ['web-0', 'web-1']) {
      const pod = await readyPod(name);
      expect(pod.spec.nodeName).toBe(NODE);
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.podIP).toMatch(/^10\.89\.0\.\d+$/);
      expect(agent.podIp(NS, name)).toBe(pod.status.podIP);
      expect(await httpGet(`http://${pod.status.podIP}:8080/`)).toBe(`${name}\n`);
      const who = JSON.parse(await httpGet(`http://${pod.status.podIP}:8080/whoami`)) as { uid: number; hostname: string; env: Record<string, string> };
      expect(who.uid).toBe(10001);
      expect(who.hostname).toBe(name);
      expect(who.env.HOSTNAME).toBe(name);
      expect(who.env.POD_IP).toBe(pod.status.podIP);
      expect(who.env.KUBERNETES_SERVICE_HOST).toBe('10.97.0.1');
      expect(readFileSync(agent.podLogPath(NS, name)!, 'utf8')).toContain('listening on 8080');
    }
    const pv = await cp.getJson<{ spec: { hostPath: { path: string }; persistentVolumeReclaimPolicy: string }; status: { phase: string } }>(['pv', `strata-e2e-${NS}-data-web-0`]);
    expect(pv.status.phase).toBe('Bound');
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(pv.spec.hostPath.path).toBe(join(WORK, 'agent', 'pv', `${NS}-data-web-0`));
  });

  it('lets pod-0 reach pod-1 by its headless DNS name', async () => {
    const pod0 = await readyPod('web-0');
    for (const host of [`web-1.web.${NS}.svc`, `web-1.web.${NS}.svc.cluster.local`]) {
      const body = await httpGet(`http://${pod0.status.podIP}:8080/fetch?url=${encodeURIComponent(`http://${host}:8080/`)}`);
      expect(body).toBe('web-1\n');
    }
  });

  it('serves a ClusterIP Service round-robin and the kubernetes Service from a pod-like client', async () => {
    // Both pods are Ready, but the EndpointSlice controller and the proxy's watch follow a moment later (under
    // load, seconds): ask until both have answered.
    const seen = new Set<string>();
    await eventually(
      'answers from both web-0 and web-1 through the ClusterIP',
      async () => {
        const result = await agent.exec(['curl', '-sS', '--max-time', '5', `http://web-lb.${NS}.svc.cluster.local/`]);
        expect(result.stderr).toBe('');
        seen.add(result.stdout.trim());
        return seen.size === 2 ? true : undefined;
      },
      30_000,
    );
    expect([...seen].sort()).toEqual(['web-0', 'web-1']);
    const version = await agent.exec(['curl', '-sS', '--max-time', '5', '--cacert', join(cp.pkiDir, 'ca.crt'), 'https://kubernetes.default.svc/version']);
    expect(JSON.parse(version.stdout).gitVersion).toBe('v1.32.4');
  });

  it('keeps PVC data across a deletion that sends SIGTERM and waits the grace period before SIGKILL', async () => {
    const before = await readyPod('web-0');
    expect(await httpGet(`http://${before.status.podIP}:8080/write?value=kept-${before.metadata.uid}`)).toBe('written');
    const started = Date.now();
    await cp.kubectl(['-n', NS, 'delete', 'pod', 'web-0', '--wait=false']);
    // The server ignores SIGTERM, so the pod object lasts at least its 3 s grace period.
    await eventually('web-0 deleted', async () => {
      const pods = await cp.getJson<{ items: Pod[] }>(['-n', NS, 'pods']);
      return pods.items.some((p) => p.metadata.uid === before.metadata.uid) ? undefined : true;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    const after = await readyPod('web-0');
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(await httpGet(`http://${after.status.podIP}:8080/read`)).toBe(`kept-${before.metadata.uid}`);
    expect(await httpGet(`http://${after.status.podIP}:8080/sigterm`)).toMatch(/^SIGTERM \d+/);
    expect(await httpGet(`http://${after.status.podIP}:8080/prestop`)).toBe('preStop\n');
    const events = await cp.getJson<{ items: { reason: string; involvedObject: { uid: string } }[] }>(['-n', NS, 'events']);
    const reasons = events.items.filter((e) => e.involvedObject.uid === before.metadata.uid).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Started', 'Killing']));
  });

  it('restarts a SIGKILLed container and reports it', async () => {
    const before = await readyPod('web-1');
    agent.killPod(NS, 'web-1', 'SIGKILL');
    const after = await eventually('web-1 restarted and Ready', async () => {
      const pod = await getPod('web-1');
      const status = pod.status.containerStatuses?.[0];
      return status && status.restartCount >= 1 && ready(pod) ? pod : undefined;
    });
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status.containerStatuses![0].lastState.terminated).toMatchObject({ exitCode: 137, signal: 9 });
    expect(after.status.containerStatuses![0].state.running).toBeDefined();
    expect(await httpGet(`http://${after.status.podIP}:8080/`)).toBe('web-1\n');
  });

  it('takes a pod whose readiness probe fails out of the Service, and restarts one whose liveness probe fails', async () => {
    const pod = await readyPod('web-1');
    const restarts = pod.status.containerStatuses![0].restartCount;
    await httpGet(`http://${pod.status.podIP}:8080/unready`);
    await eventually('web-1 not Ready', async () => (ready(await getPod('web-1')) ? undefined : true));
    await eventually('web-lb sends only to web-0', async () => {
      const answers = await Promise.all([1, 2, 3, 4].map(() => agent.exec(['curl', '-sS', '--max-time', '5', `http://web-lb.${NS}.svc/`])));
      return answers.every((a) => a.stdout.trim() === 'web-0') ? true : undefined;
    });
    await httpGet(`http://${pod.status.podIP}:8080/unlive`);
    // The restarted process answers both probes again.
    const after = await eventually('web-1 restarted by its liveness probe and Ready', async () => {
      const p = await getPod('web-1');
      return p.status.containerStatuses![0].restartCount > restarts && ready(p) ? p : undefined;
    });
    expect(after.metadata.uid).toBe(pod.metadata.uid);
    const events = await cp.getJson<{ items: { reason: string; message: string; involvedObject: { uid: string } }[] }>(['-n', NS, 'events']);
    const messages = events.items.filter((e) => e.involvedObject.uid === pod.metadata.uid).map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toEqual(expect.arrayContaining(['Unhealthy: Readiness probe failed', 'Unhealthy: Liveness probe failed']));
  });

  it('leaves a pod with an unknown image Waiting with reason ErrImagePull', async () => {
    await cp.kubectl(['-n', NS, 'run', 'ghost', '--image=e2e/not-in-the-map:1', '--restart=Never']);
    const pod = await eventually('ghost reported', async () => {
      const p = await getPod('ghost');
      return p.status.containerStatuses?.[0]?.state.waiting ? p : undefined;
    });
    expect(pod.status.containerStatuses![0].state.waiting.reason).toBe('ErrImagePull');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.podIP).toMatch(/^10\.89\.0\.\d+$/);
    const events = await cp.getJson<{ items: { reason: string; type: string; involvedObject: { name: string } }[] }>(['-n', NS, 'events', '--field-selector', 'involvedObject.name=ghost']);
    expect(events.items.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/Failed');
  });

  it('stop() ends every pod process and removes its network namespaces and bridge', async () => {
    await agent.stop();
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const links = execFileSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' });
    expect(links).not.toContain('10.89.0.1/24');
    expect(links).not.toContain('10.97.0.');
    const podDirs = readFileSync(join(WORK, 'agent.log'), 'utf8').match(/netns (strata-\S+)/g) ?? [];
    expect(podDirs.length).toBeGreaterThan(0);
    for (const line of podDirs) expect(netns).not.toContain(line.slice('netns '.length));
    expect(existsSync(join(WORK, 'agent', 'pv', `${NS}-data-web-0`, 'value'))).toBe(true);
  });
});
