import { StrataError } from '../platform/errors.js';
import type { NodeId } from '../raft/types.js';
import { consistencyProblem } from './consistency.js';
import * as d from './decoders.js';
import { loadConfigFile } from './parse-config.js';
import { CONFIG_LOG_LEVELS, defaultConfig, type ConfigLogLevel, type StrataConfig } from './strata-config.js';

/** What the server's flags (and STRATA_LOG_LEVEL) may set; they win over the file. */
export interface ConfigOverrides {
  // Numbers may be given as the flag text ("4").
  nodeId?: NodeId | string;
  dataDir?: string;
  bindAddress?: string;
  advertiseAddress?: string;
  clusterPort?: number | string;
  adminPort?: number | string;
  s3Port?: number | string;
  join?: string;
  logLevel?: ConfigLogLevel;
}

interface OverrideSpec {
  field: keyof ConfigOverrides;
  flag: string;
  decode: d.Decoder<unknown>;
  set(config: StrataConfig, value: unknown): void;
}

/** Flags arrive as text from the command line; numbers may come either way. */
function flagNumber(decode: d.Decoder<number>): d.Decoder<unknown> {
  return (raw) => decode(typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw);
}

const OVERRIDES: readonly OverrideSpec[] = [
  { field: 'nodeId', flag: '--node-id', decode: flagNumber(d.integer(1, 2 ** 31 - 1, 'a positive integer')), set: (c, v) => (c.node.nodeId = v as number) },
  { field: 'dataDir', flag: '--data-dir', decode: d.nonEmptyString, set: (c, v) => (c.node.dataDir = v as string) },
  { field: 'bindAddress', flag: '--bind-address', decode: d.host, set: (c, v) => (c.node.bindAddress = v as string) },
  { field: 'advertiseAddress', flag: '--advertise-address', decode: d.host, set: (c, v) => (c.node.advertiseAddress = v as string) },
  { field: 'clusterPort', flag: '--cluster-port', decode: flagNumber(d.port), set: (c, v) => (c.node.clusterPort = v as number) },
  { field: 'adminPort', flag: '--admin-port', decode: flagNumber(d.port), set: (c, v) => (c.node.adminPort = v as number) },
  { field: 's3Port', flag: '--s3-port', decode: flagNumber(d.port), set: (c, v) => (c.node.s3Port = v as number) },
  { field: 'join', flag: '--join', decode: d.hostPort, set: (c, v) => (c.node.join = v as string) },
  { field: 'logLevel', flag: '--log-level', decode: d.oneOf(CONFIG_LOG_LEVELS), set: (c, v) => (c.logLevel = v as ConfigLogLevel) },
];

/**
 * A copy of `config` with the given overrides applied and validated again. Errors name the flag
 * (`--node-id: expected a positive integer, got 0`). Undefined fields leave the config alone.
 */
export function applyOverrides(config: StrataConfig, overrides: ConfigOverrides): StrataConfig {
  const result: StrataConfig = structuredClone(config);
  for (const spec of OVERRIDES) {
    const raw = overrides[spec.field];
    if (raw === undefined) continue;
    const decoded = spec.decode(raw);
    if (!decoded.ok) {
      throw new StrataError('InvalidConfig', `${spec.flag}: expected ${decoded.expected}, got ${d.describeValue(raw)}`, {
        details: { source: 'flags', key: spec.flag },
      });
    }
    spec.set(result, decoded.value);
  }
  const problem = consistencyProblem(result);
  if (problem !== undefined) {
    throw new StrataError('InvalidConfig', `flags: ${problem.dotted}: ${problem.message}`, { details: { source: 'flags', key: problem.dotted } });
  }
  return result;
}

/** The overrides the environment carries: STRATA_LOG_LEVEL (the guide's debug switch). */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): ConfigOverrides {
  const raw = env.STRATA_LOG_LEVEL;
  if (raw === undefined || raw === '') return {};
  const decoded = d.oneOf(CONFIG_LOG_LEVELS)(raw.toLowerCase());
  if (!decoded.ok) {
    throw new StrataError('InvalidConfig', `STRATA_LOG_LEVEL: expected ${decoded.expected}, got ${d.describeValue(raw)}`, {
      details: { source: 'env', key: 'STRATA_LOG_LEVEL' },
    });
  }
  return { logLevel: decoded.value };
}

export interface ResolveConfigOptions {
  /** The TOML file (`--config`); defaults apply when absent. */
  configPath?: string;
  flags?: ConfigOverrides;
  env?: Readonly<Record<string, string | undefined>>;
}

/** What main.ts wants: file (or defaults), then STRATA_LOG_LEVEL, then flags, which win over both. */
export async function resolveConfig(options: ResolveConfigOptions): Promise<StrataConfig> {
  const fromFile = options.configPath === undefined ? defaultConfig() : await loadConfigFile(options.configPath);
  const fromEnv = applyOverrides(fromFile, envOverrides(options.env ?? {}));
  return applyOverrides(fromEnv, options.flags ?? {});
}
