export { runCli, buildProgram, EXIT_OK, EXIT_CLUSTER_ERROR, EXIT_USAGE } from './run-cli.js';
export type { CliIo, TextSink } from './cli-io.js';
export { formatTable, formatFields } from './table.js';
