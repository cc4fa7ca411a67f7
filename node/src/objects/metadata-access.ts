import type { MetadataService } from '../runtime/metadata-service.js';

/** What the object service needs of the metadata: linearizable writes through Raft and reads. */
export type MetadataAccess = Pick<MetadataService, 'execute' | 'read'>;
