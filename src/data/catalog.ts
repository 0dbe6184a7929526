/**
 * The dataset catalog: named datasets with immutable versions (a Parquet snapshot in the artifact store,
 * schema, row count, content hash, column profile, lineage, partition, and a JSON `meta` object with the
 * ingest state and validation report).
 *
 * Writing is two-phase so that nothing half-made is ever registered: `stage` (or `stageFile`) writes and
 * hashes the Parquet file into the artifact store (atomic rename); `commit` registers the version in the
 * metadata store. The orchestrator commits a step's staged datasets only once the step has succeeded.
 *
 * Partitions: a version may belong to a partition (`month=2001-03`). The dataset's current content is
 * the latest live version of each partition (`current`), so re-ingesting a partition replaces it rather
 * than adding rows twice. A retention policy, recorded with a version, expires older versions on commit.
 *
 * @example
 * const catalog = new DatasetCatalog(store, artifacts);
 * const staged = await catalog.stage(engine, 'sales', 'SELECT * FROM raw', { runId: null, step: null, inputs: [], partition: null });
 * const ref = await catalog.commit(staged);
 * const all = await catalog.current('sales'); // every partition's latest version
 */
import { join } from 'node:path';
import { DataError, SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine } from '../engine/index.ts';
import { parquetScanSql, quoteIdent, readParquetSql } from '../engine/index.ts';
import { Frame } from '../frame/frame.ts';
import type { ArtifactStore, DatasetVersionRecord, MetadataStore, MetadataTx } from '../store/types.ts';
import type { Json } from '../core/json.ts';
import { profileDataset } from './profile.ts';
import { checkRetention, versionsToExpire, type RetentionPolicy } from './retention.ts';

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
  readonly partition: string | null;
  /** Ingest state, validation report, retention policy ({} when none). */
  readonly meta: { readonly [key: string]: Json };
  readonly createdAt: number;
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
  /** The version's partition; default lineage.partition (the run's partition). */
  readonly partition?: string | null;
  readonly meta?: { [key: string]: Json };
}

/** A dataset's current content: the latest live version of each partition (one version if unpartitioned). */
export interface DatasetSnapshot {
  readonly kind: 'dataset-snapshot';
  readonly name: string;
  /** Newest version first. */
  readonly parts: readonly DatasetRef[];
  readonly rowCount: number;
}

export interface Lineage {
  runId: string | null;
  step: string | null;
  /** Dataset version ids (or artifact keys, `file:` paths) this was made from. */
  inputs: string[];
  partition: string | null;
}

export interface StageOptions {
  /** The version's partition (overrides lineage.partition). */
  partition?: string | null;
  /** Recorded with the version (must be JSON). */
  meta?: { [key: string]: Json };
  /** Expire older versions on commit. */
  retention?: RetentionPolicy;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function isDatasetRef(v: unknown): v is DatasetRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'dataset';
}

export function isStagedDataset(v: unknown): v is StagedDataset {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'staged-dataset';
}

export function isDatasetSnapshot(v: unknown): v is DatasetSnapshot {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'dataset-snapshot';
}

/** A pin with no live worker behind it protects its artifact this long (a crashed, unorchestrated writer). */
export const PIN_MAX_AGE_MS = 6 * 3_600_000;

export class DatasetCatalog {
  readonly #store: MetadataStore;
  readonly #artifacts: ArtifactStore;
  readonly #now: () => number;
  readonly #workerId: string | null;

  /** `workerId`: the process staging (its pins hold while it heartbeats; see MetadataTx.pinArtifacts). */
  constructor(store: MetadataStore, artifacts: ArtifactStore, options: { now?: () => number; workerId?: string | null } = {}) {
    this.#store = store;
    this.#artifacts = artifacts;
    this.#now = options.now ?? Date.now;
    this.#workerId = options.workerId ?? null;
  }

  /**
   * Writes `source` (a SQL query or a Frame) as a Parquet snapshot into the artifact store and profiles it.
   * Nothing is registered until `commit`.
   */
  async stage(engine: Engine, name: string, source: string | Frame, lineage: Lineage, options: StageOptions = {}): Promise<StagedDataset> {
    checkName(name);
    if (options.retention) checkRetention(options.retention);
    const id = newId('dsv');
    const tmp = this.tempFile(id);
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
    const src = readParquetSql(tmp);
    const schema = await engine.describe(`SELECT * FROM ${src}`);
    const rowCount = Number(await engine.scalar(`SELECT count(*) FROM ${src}`));
    const profile = await profileDataset(engine, src, { schema });
    return this.stageFile(name, tmp, { id, schema, rowCount, profile, lineage, ...options });
  }

  /** A path in the artifact store's scratch folder for a Parquet file that `stageFile` will take. */
  tempFile(id: string = newId('dsv')): string {
    return join(this.#artifacts.tempDir(), `${id}.parquet`);
  }

  /**
   * Moves an already written Parquet file into the artifact store as a staged version; the caller
   * provides what it already knows (schema, row count, profile) so nothing is read again.
   */
  async stageFile(name: string, file: string, info: StageOptions & { id?: string; schema: ColumnSchema[]; rowCount: number | Promise<number>; profile: Json | Promise<Json>; lineage: Lineage }): Promise<StagedDataset> {
    try {
      checkName(name);
      if (info.retention) checkRetention(info.retention);
    } catch (err) {
      // The caller's profile may still be running: its outcome no longer matters, and must not surface
      // later as an unhandled rejection.
      for (const p of [info.profile, info.rowCount]) if (p instanceof Promise) p.catch(() => {});
      throw err;
    }
    const id = info.id ?? newId('dsv');
    // Pinned before it is published: retention cannot delete an identical file this version will use.
    const put = this.#artifacts.putFile(file, { beforePublish: (key) => this.#store.pinArtifacts(id, [key], this.#workerId) });
    // Hashing the file (Node) and profiling (DuckDB's threads) overlap when the caller passes promises.
    const [artifact, profile, rowCount] = await Promise.all([put, info.profile, info.rowCount]);
    const meta: { [key: string]: Json } = { ...(info.meta ?? {}) };
    if (info.retention) meta['retention'] = { ...info.retention } as { [key: string]: Json };
    return {
      kind: 'staged-dataset', id, name, artifact, path: this.#artifacts.path(artifact),
      schema: info.schema.map((c) => ({ name: c.name, type: c.type })), rowCount,
      contentHash: artifact.replace(/^sha256:/, ''), profile, lineage: info.lineage,
      ...(info.partition !== undefined ? { partition: info.partition } : {}),
      ...(Object.keys(meta).length > 0 ? { meta } : {}),
    };
  }

  /**
   * Registers a staged dataset as the next version of its name and applies its retention policy, in
   * one transaction; then deletes the snapshots retention freed. (A pipeline step commits all its
   * outputs at once through `registerIn`.)
   */
  async commit(staged: StagedDataset): Promise<DatasetRef> {
    const out = await this.#store.transaction((tx) => this.registerIn(tx, [staged]));
    await this.deleteUnreferenced(out.freed);
    const ref = out.refs.get(staged);
    if (!ref) throw new SluiceError(`Dataset "${staged.name}" was not registered: ${out.skipped.find((s) => s.staged === staged)?.reason ?? 'unknown reason'}`, { code: 'COMMIT_SKIPPED', context: { dataset: staged.name } });
    return ref;
  }

  /**
   * Registers staged datasets inside the caller's transaction: locks each dataset (sorted, so two
   * writers never deadlock), re-checks every ingest batch's plan against what other writers committed
   * since (see `checkIngestBasis`), registers the versions, drops their pins, and expires what their
   * retention policies say. Returns the refs, the batches skipped because an identical one was
   * committed meanwhile, and the artifacts retention freed (delete them after the commit with
   * `deleteUnreferenced`). Throws a COMMIT_CONFLICT error when a batch's plan is stale: the caller
   * rolls back and plans again.
   */
  async registerIn(tx: MetadataTx, staged: readonly StagedDataset[]): Promise<RegisterResult> {
    const names = new Set<string>();
    for (const s of staged) {
      names.add(s.name);
      const basis = basisOf(s);
      if (basis) names.add(basis.dataset);
    }
    for (const name of [...names].sort()) await tx.lockDataset(name);

    // Decide every batch before registering anything: a batch's quarantine shares its basis.
    // The batch's version of the dataset itself is checked; its quarantine follows that verdict (or
    // is registered as it is when the batch's version was committed separately).
    const verdicts = new Map<string, Verdict>();
    for (const s of staged) {
      const basis = basisOf(s);
      if (!basis || s.name !== basis.dataset) continue;
      const key = basisKey(s, basis);
      if (!verdicts.has(key)) verdicts.set(key, await checkIngestBasis(tx, s, basis));
    }
    const refs = new Map<StagedDataset, DatasetRef>();
    const skipped: { staged: StagedDataset; reason: string }[] = [];
    const policies = new Map<string, RetentionPolicy>();
    for (const s of staged) {
      const basis = basisOf(s);
      const verdict: Verdict = (basis ? verdicts.get(basisKey(s, basis)) : undefined) ?? { kind: 'ok' };
      if (verdict.kind === 'conflict') {
        throw new SluiceError(`Dataset "${basis!.dataset}" changed while this step ingested into it: ${verdict.reason}`, {
          code: 'COMMIT_CONFLICT', context: { dataset: basis!.dataset },
          hint: 'Another run ingested the same data at the same time; planning again picks up only what is still new.',
        });
      }
      if (verdict.kind === 'duplicate') {
        skipped.push({ staged: s, reason: verdict.reason });
        await tx.unpinArtifacts(s.id);
        continue;
      }
      const record = await tx.registerDatasetVersion({
        id: s.id, dataset: s.name, artifact: s.artifact, schema: s.schema, rowCount: s.rowCount, contentHash: s.contentHash,
        profile: s.profile, runId: s.lineage.runId, step: s.lineage.step, inputs: s.lineage.inputs,
        partition: s.partition !== undefined ? s.partition : s.lineage.partition,
        ...(s.meta ? { meta: s.meta } : {}),
      });
      await tx.unpinArtifacts(s.id);
      refs.set(s, this.toRef(record));
      const retention = s.meta?.['retention'];
      if (retention && typeof retention === 'object' && !Array.isArray(retention)) policies.set(s.name, retention as RetentionPolicy);
    }
    const freed: string[] = [];
    for (const [name, policy] of policies) {
      checkRetention(policy);
      const now = this.#now();
      const expire = versionsToExpire(await tx.listDatasetVersions(name), policy, now);
      if (expire.length > 0) freed.push(...(await tx.expireDatasetVersions(name, expire, now)));
    }
    return { refs, skipped, freed };
  }

  /**
   * Deletes the artifacts that nothing references (no live version, model or pin), deciding and
   * deleting inside one transaction that excludes new pins: a writer about to reuse an identical file
   * either pinned it first (kept) or pins it after the file is gone (and writes it again).
   */
  async deleteUnreferenced(candidates: readonly string[]): Promise<string[]> {
    if (candidates.length === 0) return [];
    return this.#store.transaction(async (tx) => {
      const gone = await tx.unreferencedArtifacts(candidates, this.#now(), PIN_MAX_AGE_MS);
      for (const key of gone) await this.#artifacts.delete(key);
      return gone;
    });
  }

  /**
   * Expires versions of `name` beyond `policy` and deletes the snapshots nothing live references.
   * Returns the expired version numbers.
   */
  async applyRetention(name: string, policy: RetentionPolicy): Promise<number[]> {
    checkRetention(policy);
    const { expire, freed } = await this.#store.transaction(async (tx) => {
      await tx.lockDataset(name);
      const now = this.#now();
      const expire = versionsToExpire(await tx.listDatasetVersions(name), policy, now);
      return { expire, freed: expire.length === 0 ? [] : await tx.expireDatasetVersions(name, expire, now) };
    });
    await this.deleteUnreferenced(freed);
    return expire;
  }

  /** The given version of a dataset, or its latest. */
  async get(name: string, version?: number): Promise<DatasetRef> {
    const record = await this.#store.getDatasetVersion(name, version);
    if (!record) {
      throw new SluiceError(version === undefined ? `No dataset named "${name}"` : `Dataset "${name}" has no version ${version}`, {
        code: 'NOT_FOUND', context: { dataset: name }, hint: 'List datasets with `sluice datasets`.',
      });
    }
    if (record.expiredAt !== null) {
      throw new SluiceError(`Version ${record.version} of dataset "${name}" was expired by its retention policy`, {
        code: 'EXPIRED', context: { dataset: name, version: record.version }, hint: `Read a live version; \`sluice datasets show ${name}\` lists them.`,
      });
    }
    return this.toRef(record);
  }

  async find(name: string): Promise<DatasetRef | undefined> {
    const record = await this.#store.getDatasetVersion(name);
    return record ? this.toRef(record) : undefined;
  }

  /** Every version, newest first (expired ones included: see `expiredAt` in the records). */
  async versions(name: string): Promise<DatasetVersionRecord[]> {
    return this.#store.listDatasetVersions(name);
  }

  /** The current content: the latest live version of each partition; undefined if the dataset does not exist. */
  async current(name: string): Promise<DatasetSnapshot | undefined> {
    const versions = await this.#store.listDatasetVersions(name);
    if (versions.length === 0) return undefined;
    const seen = new Set<string>();
    const parts: DatasetRef[] = [];
    for (const v of versions) {
      if (v.expiredAt !== null) continue;
      const key = v.partition ?? '\u0000';
      if (seen.has(key)) continue;
      seen.add(key);
      parts.push(this.toRef(v));
    }
    return { kind: 'dataset-snapshot', name, parts, rowCount: parts.reduce((n, p) => n + p.rowCount, 0) };
  }

  toRef(record: DatasetVersionRecord): DatasetRef {
    return {
      kind: 'dataset', id: record.id, name: record.dataset, version: record.version, rowCount: record.rowCount,
      schema: record.schema, contentHash: record.contentHash, path: this.#artifacts.path(record.artifact),
      partition: record.partition, meta: record.meta ?? {}, createdAt: record.createdAt,
    };
  }
}

/** SQL table expression reading a dataset version, a staged one, or a snapshot (all its partitions). */
export function datasetSql(ref: DatasetRef | StagedDataset | DatasetSnapshot): string {
  if (isDatasetSnapshot(ref)) {
    if (ref.parts.length === 0) throw new SluiceError(`Dataset "${ref.name}" has no live version`, { code: 'NOT_FOUND', context: { dataset: ref.name } });
    return ref.parts.length === 1 ? readParquetSql(ref.parts[0]!.path) : parquetScanSql(ref.parts.map((p) => p.path), { unionByName: true });
  }
  return readParquetSql(ref.path);
}

/**
 * What an ingest batch's plan was based on (recorded in `meta.ingest.basis`): the dataset's latest
 * live version in the batch's scope when it was planned. The commit re-checks it under the lock.
 */
export interface IngestBasis {
  [key: string]: Json;
  dataset: string;
  scope: 'snapshot' | 'partition' | 'watermark';
  /** Id of the latest live version in scope when planned; null when there was none. */
  latest: string | null;
}

/** The fields of `meta.ingest` (ingest-plan.ts IngestState) the commit reads. */
interface IngestStateFields {
  mode?: Json;
  fingerprint?: Json;
  partitionValue?: Json;
  watermarkColumn?: Json;
  watermarkAfter?: Json;
  basis?: IngestBasis | null;
}

export interface RegisterResult {
  refs: Map<StagedDataset, DatasetRef>;
  /** Ingest batches not registered because an identical batch was committed meanwhile. */
  skipped: { staged: StagedDataset; reason: string }[];
  /** Artifacts retention freed: delete them after the commit (deleteUnreferenced). */
  freed: string[];
}

type Verdict = { kind: 'ok' } | { kind: 'duplicate'; reason: string } | { kind: 'conflict'; reason: string };

function basisOf(s: StagedDataset): IngestBasis | null {
  const state = ingestStateOfMeta(s.meta);
  const basis = state?.basis;
  return basis && typeof basis === 'object' && typeof basis.dataset === 'string' ? basis : null;
}

function ingestStateOfMeta(meta: { readonly [key: string]: Json } | undefined): IngestStateFields | null {
  const state = meta?.['ingest'];
  return state && typeof state === 'object' && !Array.isArray(state) ? (state as IngestStateFields) : null;
}

function basisKey(s: StagedDataset, basis: IngestBasis): string {
  const st = ingestStateOfMeta(s.meta)!;
  return JSON.stringify([basis.dataset, basis.scope, basis.latest, st.partitionValue, st.watermarkColumn, st.watermarkAfter, st.fingerprint]);
}

/**
 * Is the plan of this ingest batch still true? Its basis names the latest version in scope when it was
 * planned; if another writer has committed in that scope since, the batch is a duplicate (same source
 * fingerprint: skip it) or stale (plan again).
 */
async function checkIngestBasis(tx: MetadataTx, s: StagedDataset, basis: IngestBasis): Promise<Verdict> {
  const state = ingestStateOfMeta(s.meta)!;
  const live = (await tx.listDatasetVersions(basis.dataset)).filter((v) => v.expiredAt === null);
  const inScope = live.filter((v) => {
    const vs = ingestStateOfMeta(v.meta);
    if (basis.scope === 'snapshot') return true;
    if (basis.scope === 'partition') return v.partition === (s.partition !== undefined ? s.partition : s.lineage.partition);
    return vs?.mode === 'watermark' && vs.watermarkColumn === state.watermarkColumn;
  });
  const latest = inScope[0];
  if ((latest?.id ?? null) === basis.latest) return { kind: 'ok' };
  const latestState = latest ? ingestStateOfMeta(latest.meta) : null;
  if (latest && latestState?.fingerprint === state.fingerprint && latestState?.watermarkAfter === state.watermarkAfter) {
    return { kind: 'duplicate', reason: `version ${latest.version} of "${basis.dataset}" (run ${latest.runId ?? '-'}) already holds this batch` };
  }
  return {
    kind: 'conflict',
    reason: latest
      ? `version ${latest.version} (run ${latest.runId ?? '-'}) was committed in the same ${basis.scope} after this batch was planned`
      : `the version this batch was planned against is no longer live`,
  };
}

/** Refuses a name that is not a valid dataset name; `what` names its role in the message ("Quarantine name"). */
export function checkName(name: string, what = 'Dataset name'): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new SluiceError(`${what} ${JSON.stringify(name)} is not valid`, {
      code: 'BAD_NAME', context: { name: String(name) }, hint: 'Use letters, digits, "_", "-" and "."; start with a letter or "_".',
    });
  }
}
