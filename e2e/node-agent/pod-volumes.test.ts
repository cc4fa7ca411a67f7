// kubelet's fsGroup rule on a writable volume (real files in a temporary folder; the agent runs as root).
import { chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFsGroup, podField } from './pod-volumes.js';

// Like the whole e2e tier (network namespaces, mounts), these run as root.

describe('applyFsGroup', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives every file the group with read-write and every folder group rwx + setgid, owners kept', () => {
    root = mkdtempSync(join(tmpdir(), 'fsgroup-'));
    mkdirSync(join(root, 'raft'), { mode: 0o755 });
    writeFileSync(join(root, 'raft', 'CURRENT'), 'x', { mode: 0o644 });
    chownSync(join(root, 'raft', 'CURRENT'), 0, 0);
    applyFsGroup(root, 10001, false);
    const dir = lstatSync(join(root, 'raft'));
    const file = lstatSync(join(root, 'raft', 'CURRENT'));
    expect(dir.gid).toBe(10001);
    expect(dir.mode & 0o7777).toBe(0o2775);
    expect(file.gid).toBe(10001);
    expect(file.uid).toBe(0);
    expect(file.mode & 0o777).toBe(0o664);
  });

  it('with OnRootMismatch leaves the tree alone when the root already fits', () => {
    root = mkdtempSync(join(tmpdir(), 'fsgroup-'));
    writeFileSync(join(root, 'f'), 'x', { mode: 0o600 });
    chownSync(root, 0, 10001);
    applyFsGroup(root, 10001, false);
    chownSync(join(root, 'f'), 0, 0);
    applyFsGroup(root, 10001, true);
    expect(lstatSync(join(root, 'f')).gid).toBe(0);
  });
});

describe('podField', () => {
  it('reads the downward API fields', () => {
    const pod = { metadata: { name: 'p', namespace: 'n', labels: { a: 'b' } }, spec: { nodeName: 'node' }, status: { podIP: '10.0.0.2' } };
    expect(podField(pod, 'metadata.name')).toBe('p');
    expect(podField(pod, "metadata.labels['a']")).toBe('b');
    expect(podField(pod, 'metadata.labels')).toBe('a="b"');
    expect(podField(pod, 'status.podIP')).toBe('10.0.0.2');
    expect(podField(pod, 'spec.nodeName')).toBe('node');
  });
});
