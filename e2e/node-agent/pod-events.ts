// The Events kubelet records about a pod (Pulled, Created, Started, Killing, Unhealthy, BackOff, Failed), so
// `kubectl describe pod` and `kubectl get events` tell the same story as on a real node. Best effort: a
// failed POST is only logged.
import { randomBytes } from 'node:crypto';
import type { KubeApi, KubeObject } from './kube-api.js';

export type PodEventType = 'Normal' | 'Warning';

export class PodEvents {
  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly log: (line: string) => void,
  ) {}

  record(pod: KubeObject, type: PodEventType, reason: string, message: string, container?: string): void {
    const ns = pod.metadata.namespace ?? 'default';
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.metadata.name,
        namespace: ns,
        uid: pod.metadata.uid,
        ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
      },
      type,
      reason,
      message,
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.api.create(`/api/v1/namespaces/${ns}/events`, event).catch((error: Error) => this.log(`event ${reason} for ${ns}/${pod.metadata.name}: ${error.message}`));
  }
}
