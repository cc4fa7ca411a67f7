export { AdminClient, resolveAdminClientOptions, type AdminClientOptions, type ResolvedAdminClientOptions } from './admin-client.js';
export { errorFromResponse, RETRYABLE_CODES } from './response-error.js';
