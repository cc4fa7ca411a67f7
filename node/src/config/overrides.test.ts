import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { applyOverrides, envOverrides, resolveConfig, type ConfigOverrides } from './overrides.js';
import { parseConfig } from './parse-config.js';
import { defaultConfig } from './strata-config.js';

describe('applyOverrides', () => {
  it('lets flags win over the file and leaves the input untouched', () => {
    const file = parseConfig('log_level = "warn"\n[node]\nnode_id = 2\ndata_dir = "/a"\n', 'strata.toml');
    const result = applyOverrides(file, {
      nodeId: 4,
      dataDir: '/b',
      bindAddress: '127.0.0.4',
      join: 'strata-node-1:9000',
      logLevel: 'debug',
      clusterPort: '9100',
      adminPort: 9190,
      s3Port: 9180,
    });
    expect(result.node).toEqual({
      nodeId: 4,
      dataDir: '/b',
      bindAddress: '127.0.0.4',
      join: 'strata-node-1:9000',
      clusterPort: 9100,
      adminPort: 9190,
      s3Port: 9180,
    });
    expect(result.logLevel).toBe('debug');
    expect(file.node.nodeId).toBe(2);
    expect(file.logLevel).toBe('warn');
  });

  it('keeps file values when a flag is not given', () => {
    const file = parseConfig('[node]\nnode_id = 3\n', 'strata.toml');
    expect(applyOverrides(file, {})).toEqual(file);
  });

  const bad: [ConfigOverrides, string][] = [
    [{ nodeId: 0 }, '--node-id: expected a positive integer, got 0'],
    [{ nodeId: 'four' }, '--node-id: expected a positive integer, got "four"'],
    [{ nodeId: '-1' }, '--node-id: expected a positive integer, got "-1"'],
    [{ dataDir: '' }, '--data-dir: expected a non-empty string, got ""'],
    [{ bindAddress: 'a b' }, '--bind-address: expected an IP address or host name like "127.0.0.1", got "a b"'],
    [{ join: 'node1' }, '--join: expected host:port like "strata-node-1:9000", got "node1"'],
    [{ logLevel: 'loud' as never }, '--log-level: expected one of trace|debug|info|warn|error, got "loud"'],
    [{ adminPort: 9000 }, 'flags: node.admin_port: must differ from node.cluster_port (both 9000) since every listener binds node.bind_address'],
  ];
  it.each(bad)('rejects %j', (overrides, message) => {
    try {
      applyOverrides(defaultConfig(), overrides);
      expect.unreachable('should throw');
    } catch (err) {
      expect(isStrataError(err, 'InvalidConfig')).toBe(true);
      expect((err as Error).message).toBe(message);
    }
  });
});

describe('envOverrides', () => {
  it.each([
    [{}, {}],
    [{ STRATA_LOG_LEVEL: '' }, {}],
    [{ STRATA_LOG_LEVEL: 'debug' }, { logLevel: 'debug' }],
    [{ STRATA_LOG_LEVEL: 'WARN' }, { logLevel: 'warn' }],
  ])('%j -> %j', (env, expected) => {
    expect(envOverrides(env)).toEqual(expected);
  });

  it('names the variable when its value is wrong', () => {
    expect(() => envOverrides({ STRATA_LOG_LEVEL: 'chatty' })).toThrow('STRATA_LOG_LEVEL: expected one of trace|debug|info|warn|error, got "chatty"');
  });
});

describe('resolveConfig', () => {
  it('applies file, then STRATA_LOG_LEVEL, then flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-config-'));
    try {
      const path = join(dir, 'strata.toml');
      await writeFile(path, 'log_level = "error"\n[node]\nnode_id = 2\n');
      const envOnly = await resolveConfig({ configPath: path, env: { STRATA_LOG_LEVEL: 'debug' } });
      expect(envOnly.logLevel).toBe('debug');
      expect(envOnly.node.nodeId).toBe(2);
      const both = await resolveConfig({ configPath: path, env: { STRATA_LOG_LEVEL: 'debug' }, flags: { logLevel: 'trace', nodeId: 5 } });
      expect(both.logLevel).toBe('trace');
      expect(both.node.nodeId).toBe(5);
      const noFile = await resolveConfig({ flags: { nodeId: '9' } });
      expect(noFile).toEqual({ ...defaultConfig(), node: { ...defaultConfig().node, nodeId: 9 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
