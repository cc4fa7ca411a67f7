export * from './chunk-garbage-collector.js';
export * from './metadata-access.js';
export * from './object-service-options.js';
export * from './strata-object-service.js';
