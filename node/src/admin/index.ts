export { AdminServer, resolveAdminServerOptions, type AdminServerOptions, type ResolvedAdminServerOptions } from './admin-server.js';
export { PromMetricsSink, type PromMetricsSinkOptions } from './prom-metrics-sink.js';
export { bucketNameProblem } from './bucket-name.js';
export { LEADER_HEADER, toErrorResponse, type ErrorBody, type ErrorResponse } from './error-response.js';
export { notAvailable } from './error-response.js';
export { BACKUP_HEADERS } from './backup-routes.js';
