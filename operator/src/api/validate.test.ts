import { describe, expect, it } from 'vitest';
import { durationMs, validateSpec, validateUpdate } from './validate.js';
import type { StrataClusterSpec } from './strata-cluster.js';

describe('validateSpec', () => {
  it.each<[string, StrataClusterSpec]>([
    ['minimal', { version: 'v' }],
    ['one node, 1+0', { version: 'v', nodes: 1, erasure: { dataShards: 1, parityShards: 0 } }],
    ['6 nodes 4+2', { version: 'v', nodes: 6, erasure: { dataShards: 4, parityShards: 2 } }],
    ['drain leaving exactly the stripe width', { version: 'v', nodes: 4, drain: ['node-4'] }],
    ['voters = nodes', { version: 'v', nodes: 5, config: { metadata: { voters: 5 } } }],
    ['timeouts in order across units', { version: 'v', config: { metadata: { election_timeout_min: '900ms', election_timeout_max: '1s' } } }],
  ])('accepts %s', (_name, spec) => {
    expect(validateSpec(spec)).toEqual([]);
  });

  it.each<[string, StrataClusterSpec, string]>([
    ['nodes 0', { version: 'v', nodes: 0 }, 'spec.nodes'],
    ['nodes 65', { version: 'v', nodes: 65, erasure: { dataShards: 2, parityShards: 1 } }, 'spec.nodes'],
    ['one node with the default 2+1', { version: 'v', nodes: 1 }, 'spec.erasure'],
    ['4+2 on 3 nodes', { version: 'v', nodes: 3, erasure: { dataShards: 4, parityShards: 2 } }, 'spec.erasure'],
    ['drain of node-9 on 5 nodes', { version: 'v', nodes: 5, drain: ['node-9'] }, 'spec.drain'],
    ['drain of a pod name', { version: 'v', nodes: 5, drain: ['strata-0'] }, 'spec.drain[0]'],
    ['drain twice', { version: 'v', nodes: 5, drain: ['node-1', 'node-1'] }, 'spec.drain[1]'],
    ['drain leaving too few', { version: 'v', nodes: 4, drain: ['node-1', 'node-2'] }, 'spec.drain'],
    ['voters > nodes', { version: 'v', nodes: 3, config: { metadata: { voters: 5 } } }, 'spec.config.metadata.voters'],
    ['timeouts equal', { version: 'v', config: { metadata: { election_timeout_min: '300ms', election_timeout_max: '0.3s' } } }, 'spec.config.metadata'],
    ['s3 on the admin port', { version: 'v', s3: { port: 9090 } }, 'spec.s3.port'],
  ])('refuses %s, naming %s', (_name, spec, field) => {
    const problems = validateSpec(spec);
    expect(problems.map((p) => p.field)).toContain(field);
    for (const p of problems) expect(p.message).toMatch(/^spec\./);
  });
});

describe('validateUpdate', () => {
  const before: StrataClusterSpec = { version: '0.1.0', nodes: 3, storage: { size: '10Gi' } };

  it.each<[string, StrataClusterSpec]>([
    ['scale out and upgrade', { version: '0.2.0', nodes: 5, storage: { size: '10Gi' }, erasure: { dataShards: 2, parityShards: 1 } }],
    ['defaults spelled out', { version: '0.1.0', nodes: 3, storage: { size: '10Gi', deleteClaimsOnScaleIn: true }, erasure: { dataShards: 2, parityShards: 1 } }],
  ])('allows %s', (_name, after) => {
    expect(validateUpdate(before, after)).toEqual([]);
  });

  it.each<[string, StrataClusterSpec, string]>([
    ['data shards', { ...before, erasure: { dataShards: 1 } }, 'spec.erasure.dataShards'],
    ['parity shards', { ...before, erasure: { parityShards: 0 } }, 'spec.erasure.parityShards'],
    ['volume size', { ...before, storage: { size: '20Gi' } }, 'spec.storage.size'],
    ['storage class added', { ...before, storage: { size: '10Gi', storageClassName: 'fast' } }, 'spec.storage.storageClassName'],
  ])('refuses a change of %s', (_name, after, field) => {
    expect(validateUpdate(before, after)).toEqual([{ field, message: `${field} is immutable after creation` }]);
  });
});

describe('durationMs', () => {
  it.each<[string, number | undefined]>([
    ['150ms', 150],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['0', 0],
    ['10us', 0.01],
    ['5', undefined],
    ['1 week', undefined],
  ])('%s -> %s', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});
