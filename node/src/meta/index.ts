export * from './commands.js';
export * from './meta-state-machine.js';
export * from './records.js';
export type { ChunkLocation, ChunkOwner } from './chunk-references.js';
