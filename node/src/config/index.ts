export * from './strata-config.js';
export { parseConfig, loadConfigFile } from './parse-config.js';
export { applyOverrides, envOverrides, resolveConfig, type ConfigOverrides, type ResolveConfigOptions } from './overrides.js';
export { parseDurationMs, formatDurationMs } from './duration.js';
export { parseSizeBytes } from './size.js';
export { KEYS as CONFIG_KEYS, SECTIONS as CONFIG_SECTIONS } from './config-schema.js';
export { loadS3Credentials, parseCredentialsFile, type S3Credential } from './s3-credentials.js';
