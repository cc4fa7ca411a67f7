/**
 * The dependency rules of docs/architecture.md, enforced by `make lint`.
 * Test files (*.test.ts) may reach further than the code they test; production code may not.
 */
const SRC = '^node/src/';
const notTest = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'platform-is-a-leaf',
      comment: 'platform/ imports nothing else in the repository.',
      severity: 'error',
      from: { path: `${SRC}platform/` },
      to: { path: '^(node|operator)/', pathNot: `${SRC}platform/` },
    },
    {
      name: 'pure-core-imports-only-platform',
      comment: 'raft/, meta/ and placement/ import only platform/ (and themselves): that is what makes them simulatable.',
      severity: 'error',
      from: { path: `${SRC}(raft|meta|placement)/`, pathNot: notTest },
      to: { path: '^(node|operator)/', pathNot: [`${SRC}platform/`, `${SRC}$1/`] },
    },
    {
      name: 'pure-core-does-no-io',
      comment: 'raft/, meta/ and placement/ use no node:* module and no I/O library.',
      severity: 'error',
      from: { path: `${SRC}(raft|meta|placement)/`, pathNot: notTest },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-core-no-io-libraries',
      severity: 'error',
      from: { path: `${SRC}(raft|meta|placement)/`, pathNot: notTest },
      to: { path: 'node_modules/(level|classic-level|@grpc|koa|@koa|pino|prom-client)/' },
    },
    {
      name: 'gateways-see-ports-only',
      comment: 's3/ and admin/ see ports/ and platform/ only.',
      severity: 'error',
      from: { path: `${SRC}(s3|admin)/`, pathNot: notTest },
      to: { path: `${SRC}(storage|transport|runtime|raft|meta|placement|objects|erasure)/` },
    },
    {
      name: 'leveldb-only-in-storage-level',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}storage/level/` },
      to: { path: 'node_modules/(level|classic-level)/' },
    },
    {
      name: 'grpc-only-in-transport-grpc',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}transport/grpc/` },
      to: { path: 'node_modules/@grpc/' },
    },
    {
      name: 'koa-only-in-gateways',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}(s3|admin)/` },
      to: { path: 'node_modules/(koa|@koa)/' },
    },
    {
      name: 'pino-only-in-platform-real',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}platform/real/` },
      to: { path: 'node_modules/pino/' },
    },
    {
      name: 'prom-client-only-in-admin',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}admin/` },
      to: { path: 'node_modules/prom-client/' },
    },
    {
      name: 'toml-only-in-config',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: `${SRC}config/` },
      to: { path: 'node_modules/smol-toml/' },
    },
    {
      name: 'production-never-imports-testing',
      severity: 'error',
      from: { path: '^(node|operator)/src/', pathNot: [`${SRC}testing/`, notTest] },
      to: { path: `${SRC}testing/` },
    },
    {
      name: 'operator-sees-client-and-platform-only',
      severity: 'error',
      from: { path: '^operator/' },
      to: { path: '^node/', pathNot: `${SRC}(client|platform)/` },
    },
    {
      name: 'operator-pure-layers',
      comment: 'operator/src/{api,desired,plan,status} are pure: no node:* modules and no Kubernetes client at run time.',
      severity: 'error',
      from: { path: '^operator/src/(api|desired|plan|status)/', pathNot: notTest },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'operator-pure-layers-no-client',
      severity: 'error',
      from: { path: '^operator/src/(api|desired|plan|status)/', pathNot: notTest },
      to: { path: 'node_modules/@kubernetes/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'kubernetes-client-only-in-operator-kube',
      severity: 'error',
      from: { path: '^(node|operator)/', pathNot: ['^operator/src/(kube|main\\.ts)', '^operator/src/controller/'] },
      to: { path: 'node_modules/@kubernetes/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    exclude: { path: '(^dist/|/generated/)' },
  },
};
