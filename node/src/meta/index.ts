export * from './commands.js';
export * from './meta-state-machine.js';
export * from './records.js';
