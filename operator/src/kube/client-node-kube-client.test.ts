import { describe, expect, it } from 'vitest';
import { pluralOf } from './client-node-kube-client.js';

describe('pluralOf', () => {
  it.each([
    ['StrataCluster', 'strataclusters'],
    ['StatefulSet', 'statefulsets'],
    ['PodDisruptionBudget', 'poddisruptionbudgets'],
    ['Lease', 'leases'],
    ['ServiceMonitor', 'servicemonitors'],
    ['PrometheusRule', 'prometheusrules'],
    ['PersistentVolumeClaim', 'persistentvolumeclaims'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
  ])('%s -> %s', (kind, plural) => {
    expect(pluralOf(kind)).toBe(plural);
  });
});
