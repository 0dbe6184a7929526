/** A fresh home for data tests: SQLite metadata, local artifacts, an in-memory DuckDB, a catalog. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetCatalog, type Lineage, type StagedDataset } from '../../src/data/index.ts';
import { openEngine, type Engine } from '../../src/engine/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { ArtifactStore, MetadataStore } from '../../src/store/types.ts';

export interface DataEnv {
  home: string;
  /** A scratch folder for input files. */
  dir: string;
  store: MetadataStore;
  artifacts: ArtifactStore;
  catalog: DatasetCatalog;
  engine: Engine;
  lineage: Lineage;
  commit(staged: readonly StagedDataset[]): Promise<void>;
  close(): Promise<void>;
}

export async function dataEnv(options: { now?: () => number } = {}): Promise<DataEnv> {
  const home = mkdtempSync(join(tmpdir(), 'sluice-data-'));
  const dir = mkdtempSync(join(tmpdir(), 'sluice-input-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const catalog = new DatasetCatalog(store, artifacts, options.now ? { now: options.now } : {});
  const engine = await openEngine();
  return {
    home, dir, store, artifacts, catalog, engine,
    lineage: { runId: null, step: null, inputs: [], partition: null },
    async commit(staged) { for (const s of staged) await catalog.commit(s); },
    async close() {
      await engine.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
