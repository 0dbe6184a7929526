/**
 * The dataset catalog: named datasets with immutable versions (a Parquet snapshot in the artifact store,
 * schema, row count, content hash, column profile, lineage).
 *
 * Writing is two-phase so that nothing half-made is ever registered: `stage` writes and hashes the
 * Parquet file into the artifact store (atomic rename); `commit` registers the version in the metadata
 * store. The orchestrator commits a step's staged datasets only once the step has succeeded.
 */
import { join } from 'node:path';
import { DataError, SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Engine } from '../engine/index.ts';
import { quoteIdent, readParquetSql } from '../engine/index.ts';
import { Frame } from '../frame/frame.ts';
import type { ArtifactStore, DatasetVersionRecord, Json, MetadataStore } from '../store/types.ts';
import { profileDataset } from './profile.ts';

export interface DatasetRef {
  readonly kind: 'dataset';
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly rowCount: number;
  readonly schema: readonly { name: string; type: string }[];
  readonly contentHash: string;
  /** Local path of the Parquet snapshot, readable by the engine. */
  readonly path: string;
}

export interface StagedDataset {
  readonly kind: 'staged-dataset';
  readonly id: string;
  readonly name: string;
  readonly artifact: string;
  readonly path: string;
  readonly schema: { name: string; type: string }[];
  readonly rowCount: number;
  readonly contentHash: string;
  readonly profile: Json;
  readonly lineage: Lineage;
}

export interface Lineage {
  runId: string | null;
  step: string | null;
  /** Dataset version ids (or artifact keys) this was made from. */
  inputs: string[];
  partition: string | null;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function isDatasetRef(v: unknown): v is DatasetRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'dataset';
}

export function isStagedDataset(v: unknown): v is StagedDataset {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'staged-dataset';
}

export class DatasetCatalog {
  readonly #store: MetadataStore;
  readonly #artifacts: ArtifactStore;

  constructor(store: MetadataStore, artifacts: ArtifactStore) {
    this.#store = store;
    this.#artifacts = artifacts;
  }

  /**
   * Writes `source` (a SQL query or a Frame) as a Parquet snapshot into the artifact store and profiles it.
   * Nothing is registered until `commit`.
   */
  async stage(engine: Engine, name: string, source: string | Frame, lineage: Lineage): Promise<StagedDataset> {
    checkName(name);
    const id = newId('dsv');
    const tmp = join(this.#artifacts.tempDir(), `${id}.parquet`);
    let sql: string;
    let tempTable: string | undefined;
    if (source instanceof Frame) {
      tempTable = `__sluice_stage_${id}`;
      await engine.fromFrame(source, tempTable, { temp: true });
      sql = `SELECT * FROM ${quoteIdent(tempTable)}`;
    } else {
      sql = source;
    }
    try {
      await engine.copyToParquet(sql, tmp);
    } catch (err) {
      throw new DataError(`Could not write dataset "${name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err, context: { dataset: name } });
    } finally {
      if (tempTable) await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(tempTable)}`);
    }
    const artifact = await this.#artifacts.putFile(tmp);
    const path = this.#artifacts.path(artifact);
    const src = readParquetSql(path);
    const schema = await engine.describe(`SELECT * FROM ${src}`);
    const rowCount = Number(await engine.scalar(`SELECT count(*) FROM ${src}`));
    const profile = await profileDataset(engine, src);
    return {
      kind: 'staged-dataset', id, name, artifact, path, schema, rowCount,
      contentHash: artifact.replace(/^sha256:/, ''), profile, lineage,
    };
  }

  /** Registers a staged dataset as the next version of its name. */
  async commit(staged: StagedDataset): Promise<DatasetRef> {
    const record = await this.#store.registerDatasetVersion({
      id: staged.id,
      dataset: staged.name,
      artifact: staged.artifact,
      schema: staged.schema,
      rowCount: staged.rowCount,
      contentHash: staged.contentHash,
      profile: staged.profile,
      runId: staged.lineage.runId,
      step: staged.lineage.step,
      inputs: staged.lineage.inputs,
      partition: staged.lineage.partition,
    });
    return this.toRef(record);
  }

  /** The given version of a dataset, or its latest. */
  async get(name: string, version?: number): Promise<DatasetRef> {
    const record = await this.#store.getDatasetVersion(name, version);
    if (!record) {
      throw new SluiceError(version === undefined ? `No dataset named "${name}"` : `Dataset "${name}" has no version ${version}`, {
        code: 'NOT_FOUND', context: { dataset: name }, hint: 'List datasets with `sluice datasets`.',
      });
    }
    return this.toRef(record);
  }

  async find(name: string): Promise<DatasetRef | undefined> {
    const record = await this.#store.getDatasetVersion(name);
    return record ? this.toRef(record) : undefined;
  }

  toRef(record: DatasetVersionRecord): DatasetRef {
    return {
      kind: 'dataset', id: record.id, name: record.dataset, version: record.version, rowCount: record.rowCount,
      schema: record.schema, contentHash: record.contentHash, path: this.#artifacts.path(record.artifact),
    };
  }
}

/** SQL table expression reading a dataset version (or a staged one). */
export function datasetSql(ref: DatasetRef | StagedDataset): string {
  return readParquetSql(ref.path);
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new SluiceError(`Dataset name ${JSON.stringify(name)} is not valid`, { code: 'BAD_NAME', hint: 'Use letters, digits, "_", "-" and "."; start with a letter or "_".' });
  }
}
