import { parseArgs } from 'node:util';
import { StrataError, type LogLevel } from '../../../node/src/platform/index.js';

export const OPERATOR_USAGE = `usage: strata-operator [--kubeconfig FILE] [--namespace NS] [--leader-elect=true|false]
                       [--lease-namespace NS] [--lease-name NAME] [--bind-address 0.0.0.0]
                       [--health-port 8081] [--metrics-port 8080] [--workers 2] [--resync 300s]
                       [--log-level info]
environment: KUBECONFIG (else in-cluster), WATCH_NAMESPACE (empty = all namespaces), LEADER_ELECTION
             (or LEADER_ELECT), POD_NAMESPACE (the lease's namespace), POD_NAME (the lease identity),
             LOG_LEVEL, HEALTH_PORT, METRICS_PORT (the chart sets these)`;

export interface OperatorFlags {
  /** Explicit kubeconfig file; undefined = KUBECONFIG, ~/.kube/config or in-cluster (client-node's default). */
  kubeconfig?: string;
  /** undefined = all namespaces. */
  namespace?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  bindAddress: string;
  healthPort: number;
  metricsPort: number;
  workers: number;
  resyncMs: number;
  logLevel: LogLevel;
  help: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Flags win over environment variables, which win over defaults. */
export function parseOperatorFlags(argv: string[], env: Readonly<Record<string, string | undefined>>, hostName: string, suffix: string): OperatorFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'leader-elect': { type: 'string' },
        'lease-namespace': { type: 'string' },
        'lease-name': { type: 'string' },
        'bind-address': { type: 'string' },
        'health-port': { type: 'string' },
        'metrics-port': { type: 'string' },
        workers: { type: 'string' },
        resync: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new StrataError('InvalidArgument', `${(err as Error).message}\n${OPERATOR_USAGE}`);
  }
  const str = (flag: string, envName?: string) => (values[flag] as string | undefined) ?? (envName === undefined ? undefined : env[envName]);
  const namespace = str('namespace', 'WATCH_NAMESPACE');
  const leaderElect = (str('leader-elect', 'LEADER_ELECTION') ?? env.LEADER_ELECT ?? 'true').toLowerCase();
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new StrataError('InvalidArgument', `--leader-elect: expected true or false, got ${leaderElect}`);
  const logLevel = (str('log-level', 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new StrataError('InvalidArgument', `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  const resync = str('resync') ?? '300s';
  const resyncMatch = /^(\d+)(s|m)$/.exec(resync);
  if (resyncMatch === null) throw new StrataError('InvalidArgument', `--resync: expected a duration like 300s or 5m, got ${resync}`);
  const flags: OperatorFlags = {
    leaderElect: leaderElect === 'true',
    leaseNamespace: str('lease-namespace', 'POD_NAMESPACE') || namespace || 'default',
    leaseName: str('lease-name') ?? 'strata-operator',
    identity: `${env.POD_NAME ?? hostName}-${suffix}`,
    bindAddress: str('bind-address') ?? '0.0.0.0',
    healthPort: port(str('health-port', 'HEALTH_PORT') ?? '8081', '--health-port'),
    metricsPort: port(str('metrics-port', 'METRICS_PORT') ?? '8080', '--metrics-port'),
    workers: int(str('workers') ?? '2', '--workers', 1, 64),
    resyncMs: Number(resyncMatch[1]) * (resyncMatch[2] === 'm' ? 60_000 : 1_000),
    logLevel,
    help: values.help === true,
  };
  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== undefined && kubeconfig !== '') flags.kubeconfig = kubeconfig;
  if (namespace !== undefined && namespace !== '') flags.namespace = namespace;
  return flags;
}

function port(text: string, flag: string): number {
  return int(text, flag, 0, 65_535);
}

function int(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new StrataError('InvalidArgument', `${flag}: expected an integer in ${min}..${max}, got ${text}`);
  return n;
}
