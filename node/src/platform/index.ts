export * from './assert.js';
export * from './clock.js';
export * from './errors.js';
export * from './logger.js';
export * from './metrics.js';
export * from './random.js';
