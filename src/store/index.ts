/** The storage layer: the metadata store (SQLite or PostgreSQL) and the artifact store. */
export type * from './types.ts';

export { openMetadataStore, parseDatabaseUrl, resolveDatabaseUrl } from './metadata/open.ts';
export type { DatabaseTarget, OpenMetadataStoreOptions } from './metadata/open.ts';
export { KyselyMetadataStore } from './metadata/kysely-store.ts';
export { LocalArtifactStore, openArtifactStore } from './artifacts/local.ts';
export type { OpenArtifactStoreOptions } from './artifacts/local.ts';
export { isTransientStoreError, storeRetryMs, withStoreRetry } from './retry.ts';
