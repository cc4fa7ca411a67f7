// The local control plane is a real one: the API server serves and validates (CEL included), the
// controller-manager's controllers act, the scheduler binds to a registered Node. Nothing runs pods yet (no
// node agent), so pods stay Pending; the checks stop at the objects the controllers write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, runCommand } from './control-plane.js';
import { CONTROL_PLANE_PORTS } from './control-plane-ports.js';
import { waitFor } from '../harness/wait.js';

const NS = 'strata-smoke';
// A cold build.sh compiles Kubernetes (tens of minutes on 2 cores); a cached one takes a second.
const START_TIMEOUT_MS = 50 * 60_000;

/** The harness's bounded wait, every 500 ms. */
const eventually = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> =>
  waitFor(check, { what, timeoutMs, intervalMs: 500 });

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface K8sObject {
  metadata: { name: string; generation?: number; ownerReferences?: { kind: string; name: string }[] };
  spec?: Record<string, unknown> & { nodeName?: string };
  status?: Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };
}

const WIDGET_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.strata.io
spec:
  group: smoke.strata.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [replicas, maxReplicas]
            properties:
              replicas: {type: integer, minimum: 0}
              maxReplicas:
                type: integer
                minimum: 1
                x-kubernetes-validations:
                - rule: "self == oldSelf"
                  message: "maxReplicas is immutable"
            x-kubernetes-validations:
            - rule: "self.replicas <= self.maxReplicas"
              message: "replicas must not exceed maxReplicas"
              fieldPath: ".replicas"
`;

function widget(name: string, replicas: number, maxReplicas: number): string {
  return JSON.stringify({
    apiVersion: 'smoke.strata.io/v1',
    kind: 'Widget',
    metadata: { name, namespace: NS },
    spec: { replicas, maxReplicas },
  });
}

const STATEFUL_SET = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: NS },
  spec: {
    replicas: 2,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'strata-smoke:none' }] },
    },
  },
});

// How a node agent registers: a Node object with capacity and a Ready condition (see README.md).
function nodeObject(name: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    status: {
      capacity: { cpu: '2', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'smoke', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    },
  });
}

describe('local Kubernetes control plane', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    // Always the local control plane: this test registers a fake Node, never to be done to a real cluster.
    // Its own ports: another e2e file runs at the same time on the default ones.
    cp = await ControlPlane.start({
      run: 'smoke',
      externalKubeconfig: '',
      env: CONTROL_PLANE_PORTS.smoke,
    });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  it('serves /readyz and creates a namespace', async () => {
    const ready = await cp.kubectl(['get', '--raw', '/readyz']);
    expect(ready.stdout.trim()).toBe('ok');
    // build.sh links the version in; helm's kubeVersion checks and `kubectl version` read it.
    const version = JSON.parse((await cp.kubectl(['get', '--raw', '/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.32\.\d+$/);
    expect(cp.ports().K8S_APISERVER_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await cp.kubectl(['create', 'namespace', NS]);
    const ns = await cp.getJson<K8sObject>(['namespace', NS]);
    expect(ns.status?.phase).toBe('Active');
  });

  it('refuses an invalid custom resource by CEL, naming the field', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: WIDGET_CRD });
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.smoke.strata.io']);
    await cp.kubectl(['apply', '-f', '-'], { input: widget('good', 2, 3) });

    const bad = await cp.kubectl(['apply', '-f', '-'], { input: widget('bad', 5, 3), allowFailure: true });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.replicas');
    expect(bad.stderr).toContain('replicas must not exceed maxReplicas');

    // A transition rule (oldSelf) makes a field immutable after creation.
    const change = await cp.kubectl(['apply', '-f', '-'], { input: widget('good', 2, 4), allowFailure: true });
    expect(change.code).not.toBe(0);
    expect(change.stderr).toContain('spec.maxReplicas');
    expect(change.stderr).toContain('maxReplicas is immutable');

    // Plain OpenAPI schema checks name the field too.
    const negative = await cp.kubectl(['apply', '-f', '-'], { input: widget('neg', -1, 3), allowFailure: true });
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toContain('spec.replicas');
  });

  it('runs the StatefulSet controller and the scheduler', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: STATEFUL_SET });

    const sts = await eventually('StatefulSet status.observedGeneration', async () => {
      const s = await cp.getJson<K8sObject>(['-n', NS, 'statefulset', 'web']);
      return s.status?.observedGeneration === s.metadata.generation ? s : undefined;
    });
    expect(sts.metadata.generation).toBe(1);

    const pod = await eventually('pod web-0 created by the StatefulSet controller', async () =>
      cp.getJson<K8sObject>(['-n', NS, 'pod', 'web-0']),
    );
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'web' });

    // No Node yet: the scheduler says so on the pod.
    const unschedulable = await eventually('web-0 PodScheduled=False', async () => {
      const p = await cp.getJson<K8sObject>(['-n', NS, 'pod', 'web-0']);
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    expect(unschedulable.reason).toBe('Unschedulable');

    // A registered Node: the scheduler binds the pending pod to it.
    await cp.kubectl(['create', '-f', '-'], { input: nodeObject('smoke-node') });
    const bound = await eventually('web-0 bound to smoke-node', async () => {
      const p = await cp.getJson<K8sObject>(['-n', NS, 'pod', 'web-0']);
      return p.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec?.nodeName).toBe('smoke-node');
    // OrderedReady: without a node agent web-0 never becomes Ready, so web-1 is not created.
    const web1 = await cp.kubectl(['-n', NS, 'get', 'pod', 'web-1'], { allowFailure: true });
    expect(web1.code).not.toBe(0);
  });

  it('authenticates a service-account token the way an in-cluster client does', async () => {
    // What a pod (the operator) gets: a TokenRequest token and the cluster CA, and the apiserver's address.
    const token = (await cp.kubectl(['-n', NS, 'create', 'token', 'default'])).stdout.trim();
    const server = cp.ports().K8S_APISERVER_URL;
    const whoami = await runCommand('kubectl', [
      '--kubeconfig=/dev/null',
      `--server=${server}`,
      `--certificate-authority=${cp.pkiDir}/ca.crt`,
      `--token=${token}`,
      'auth',
      'whoami',
      '-o',
      'json',
    ]);
    expect(whoami.stderr).toBe('');
    const review = JSON.parse(whoami.stdout) as { status: { userInfo: { username: string } } };
    expect(review.status.userInfo.username).toBe(`system:serviceaccount:${NS}:default`);
  });

  it('runs the garbage collector', async () => {
    await cp.kubectl(['-n', NS, 'create', 'configmap', 'owner']);
    const owner = await cp.getJson<K8sObject & { metadata: { uid: string } }>(['-n', NS, 'configmap', 'owner']);
    const dependent = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dependent',
        namespace: NS,
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }],
      },
    };
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(dependent) });
    await cp.kubectl(['-n', NS, 'delete', 'configmap', 'owner', '--wait=true']);
    await eventually('dependent ConfigMap collected', async () => {
      const r = await cp.kubectl(['-n', NS, 'get', 'configmap', 'dependent'], { allowFailure: true });
      return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
    });
  });
});
