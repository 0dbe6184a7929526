/**
 * Planning an incremental ingest: compare what the source holds now with the ingest state recorded on
 * the dataset's live versions (`meta.ingest`), and decide which batches to read.
 *
 * - snapshot (default): the whole source is one batch; skipped when its fingerprint (file paths, sizes
 *   and times; for a database, a row count and content digest) equals the latest version's.
 * - partition: one batch per partition value (a hive folder key, a column, or a SQL expression). A
 *   partition already ingested with the same digest is skipped; one whose content changed since (late
 *   rows, a re-export) is handled by `changed`: 'replace' (default: a new version replaces the
 *   partition, so nothing is counted twice), 'ignore', or 'fail'.
 * - watermark: the rows whose watermark column is above the highest value ingested so far, up to the
 *   current maximum (fixed before reading, so rows landing during the read wait for the next run).
 *   Rows arriving later with a value at or below the watermark are late: `late` says 'ignore' (the
 *   default: they are counted and reported, not ingested), 'fail', or `{ lookback, key }`: re-read the
 *   last `lookback` of the watermark and take the rows whose key is not in the dataset yet.
 *
 * Re-running a batch that was already ingested therefore adds no rows.
 */
import { DataError } from '../core/errors.ts';
import { sha256 } from '../core/hash.ts';
import type { Engine } from '../engine/index.ts';
import { quoteIdent, quoteLiteral } from '../engine/index.ts';
import type { DatasetVersionRecord } from '../store/types.ts';
import type { Json } from '../core/json.ts';
import type { DatasetCatalog, IngestBasis } from './catalog.ts';
import { filesFingerprint, type SourceFile } from './files.ts';
import { pgIdent, type BatchFilter, type PartitionKey, type SourceReader } from './read-source.ts';

export type IncrementalPolicy =
  | { by: 'snapshot' }
  | { by: 'partition'; key: string | PartitionKey; changed?: 'replace' | 'ignore' | 'fail' }
  | { by: 'watermark'; column: string; late?: 'ignore' | 'fail' | { lookback: number | string; key: readonly string[] } };

/** What a version records about the batch it came from (`meta.ingest`). */
export interface IngestState {
  [key: string]: Json;
  source: string;
  mode: 'snapshot' | 'partition' | 'watermark';
  /** Decides "unchanged": files' digest, or rows and content digest. */
  fingerprint: string | null;
  partitionKey: string | null;
  partitionValue: string | null;
  watermarkColumn: string | null;
  /** Rows above this value were read... */
  watermarkAfter: string | null;
  /** ...up to and including this one. */
  watermarkUpTo: string | null;
  files: number;
  /** Rows read from the source for this batch (clean and quarantined together); set after reading. */
  sourceRows: number | null;
  /**
   * What the plan was based on: the dataset's latest version in the batch's scope (its partition, its
   * watermark, or the whole snapshot) when the batch was planned. The commit re-checks it under the
   * dataset's lock (data/commit.ts), so two overlapping ingests never both add the same rows.
   */
  basis: IngestBasis | null;
}

export type { IngestBasis };

export interface IngestBatch {
  /** The version's partition: `month=2001-03`, `watermark:(a, b]`, or null for a snapshot. */
  partition: string | null;
  filter: BatchFilter;
  /** Only these files (hive partitions); default all. */
  files?: SourceFile[];
  /** Rows whose key is already in these dataset snapshots (Parquet paths) are dropped (late-data lookback). */
  antiJoin?: { key: readonly string[]; paths: readonly string[] };
  state: IngestState;
  why: 'first' | 'new' | 'changed' | 'after-watermark';
  /** Every row of the batch goes to the quarantine with this reason (rows without a partition value). */
  quarantineAll?: { expectation: string; reason: string };
}

export interface IngestPlan {
  batches: IngestBatch[];
  skipped: { partition: string | null; reason: string }[];
  /** Things a person should know (late rows ignored, rows with a null watermark...). */
  notes: string[];
}

export interface PlanOptions {
  /** Partition mode: only these partitions (values, or `key=value`), e.g. the run's partition. */
  partitions?: readonly string[];
  /** The dataset's quarantine, which holds rows without a partition value (`<key>=__null__`). */
  quarantine?: string;
}

/** The quarantine partition of rows whose partition key is NULL. */
export const NULL_PARTITION = '__null__';

export async function planIngest(engine: Engine, catalog: DatasetCatalog, dataset: string, reader: SourceReader, policy: IncrementalPolicy, options: PlanOptions = {}): Promise<IngestPlan> {
  const versions = (await catalog.versions(dataset)).filter((v) => v.expiredAt === null);
  switch (policy.by) {
    case 'snapshot': return planSnapshot(engine, reader, versions, dataset);
    case 'partition': return planPartitions(engine, catalog, reader, versions, policy, options, dataset);
    case 'watermark': return planWatermark(engine, catalog, reader, versions, policy, dataset);
  }
}

function baseState(reader: SourceReader, mode: IngestState['mode']): IngestState {
  return {
    source: reader.description, mode, fingerprint: null, partitionKey: null, partitionValue: null,
    watermarkColumn: null, watermarkAfter: null, watermarkUpTo: null, files: 0, sourceRows: null, basis: null,
  };
}

export function ingestStateOf(v: DatasetVersionRecord): IngestState | null {
  const s = v.meta?.['ingest'];
  return s && typeof s === 'object' && !Array.isArray(s) ? (s as IngestState) : null;
}

async function planSnapshot(engine: Engine, reader: SourceReader, versions: DatasetVersionRecord[], dataset: string): Promise<IngestPlan> {
  const files = await reader.files();
  const fingerprint = (await reader.fingerprint()) ?? (await contentDigest(engine, reader));
  const latest = versions[0];
  const prev = latest ? ingestStateOf(latest) : null;
  const state: IngestState = { ...baseState(reader, 'snapshot'), fingerprint, files: files.length, basis: { dataset, scope: 'snapshot', latest: latest?.id ?? null } };
  if (prev && prev.fingerprint === fingerprint) {
    return { batches: [], skipped: [{ partition: null, reason: `unchanged since version ${latest!.version} (same ${files.length ? 'files' : 'content'})` }], notes: [] };
  }
  return { batches: [{ partition: null, filter: { kind: 'all' }, state, why: latest ? 'changed' : 'first' }], skipped: [], notes: [] };
}

async function planPartitions(engine: Engine, catalog: DatasetCatalog, reader: SourceReader, versions: DatasetVersionRecord[], policy: Extract<IncrementalPolicy, { by: 'partition' }>, options: PlanOptions, dataset: string): Promise<IngestPlan> {
  const key: PartitionKey = typeof policy.key === 'string' ? { name: policy.key } : policy.key;
  const files = await reader.files();
  // Partitions from hive folders need no read of the data: each one's digest is its files' digest.
  const fromFolders = !key.sql && files.length > 0 && files.every((f) => key.name in f.partition);
  const found = new Map<string, { digest: string; files?: SourceFile[] }>();
  if (fromFolders) {
    const groups = new Map<string, SourceFile[]>();
    for (const f of files) groups.set(f.partition[key.name]!, [...(groups.get(f.partition[key.name]!) ?? []), f]);
    for (const [value, fs] of groups) found.set(value, { digest: filesFingerprint(fs), files: fs });
  } else {
    const rows = await reader.query(
      engine,
      (t) => `SELECT CAST(p AS VARCHAR) AS p, count(*) AS n, CAST(sum(h) AS VARCHAR) AS h FROM (SELECT ${key.sql ? `(${key.sql})` : quoteIdent(key.name)} AS p, hash(s) AS h FROM ${t} AS s) GROUP BY ALL`,
      (q) => `SELECT CAST(${key.sql ? `(${key.sql})` : `q.${pgIdent(key.name)}`} AS text) AS p, count(*) AS n, CAST(sum(hashtext(q::text)::bigint) AS text) AS h FROM ${q} GROUP BY 1`,
    );
    for (const r of rows) {
      if (r['p'] === null || r['p'] === undefined) continue;
      found.set(String(r['p']), { digest: `${String(r['n'])}:${String(r['h'])}` });
    }
    const nulls = rows.find((r) => r['p'] === null || r['p'] === undefined);
    const n = nulls ? Number(nulls['n']) : 0;
    // Rows that did not parse (onBadRows: 'quarantine') have no partition value either.
    const unparsed = await reader.rejected();
    if (n > 0 || unparsed > 0) {
      // Rows without a partition value belong to no partition: they go to the quarantine (once; again
      // only when they change), whatever partitions this run collects.
      const plan = await partitionBatches();
      const partition = `${key.name}=${NULL_PARTITION}`;
      const digest = `${n}:${String(nulls?.['h'] ?? 0)}:${unparsed}`;
      const prev = options.quarantine ? (await catalog.versions(options.quarantine)).find((v) => v.expiredAt === null && v.partition === partition) : undefined;
      if (prev && ingestStateOf(prev)?.fingerprint === digest) {
        plan.skipped.push({ partition, reason: `${n + unparsed} rows without a value for "${key.name}" already quarantined (version ${prev.version} of ${options.quarantine})` });
        return plan;
      }
      const state: IngestState = { ...baseState(reader, 'partition'), fingerprint: digest, partitionKey: key.name, partitionValue: null, files: files.length };
      plan.batches.push({
        partition, state, why: prev ? 'changed' : 'new', filter: { kind: 'partition-null', key },
        quarantineAll: { expectation: 'partition_key', reason: `partition key "${key.name}" is NULL: the row belongs to no partition` },
      });
      plan.notes.push(`${n + unparsed} rows have no value for partition key "${key.name}"${unparsed ? ` (${unparsed} did not parse)` : ''}: quarantined (partition ${partition} of ${options.quarantine ?? 'the quarantine'})`);
      return plan;
    }
  }
  return partitionBatches();

  async function partitionBatches(): Promise<IngestPlan> {
    const wanted = options.partitions?.map((p) => (p.startsWith(`${key.name}=`) ? p.slice(key.name.length + 1) : p));
    if (wanted) {
      for (const w of wanted) {
        if (!found.has(w)) {
          throw new DataError(`Partition ${key.name}=${w} has no rows in ${reader.description}`, {
            code: 'NO_PARTITION', context: { partition: `${key.name}=${w}` },
            hint: `The source has: ${[...found.keys()].sort().slice(0, 12).join(', ') || 'nothing'}. If the data has not landed yet, rerun later.`,
          });
        }
      }
    }
    const latest = new Map<string, DatasetVersionRecord>();
    for (const v of versions) if (v.partition !== null && !latest.has(v.partition)) latest.set(v.partition, v);
    const plan: IngestPlan = { batches: [], skipped: [], notes: [] };
    for (const value of [...found.keys()].sort()) {
      if (wanted && !wanted.includes(value)) continue;
      const partition = `${key.name}=${value}`;
      const { digest, files: pfiles } = found.get(value)!;
      const prev = latest.get(partition);
      const prevState = prev ? ingestStateOf(prev) : null;
      const state: IngestState = {
        ...baseState(reader, 'partition'), fingerprint: digest, partitionKey: key.name, partitionValue: value, files: pfiles?.length ?? files.length,
        basis: { dataset, scope: 'partition', latest: prev?.id ?? null },
      };
      const batch: IngestBatch = {
        partition, state, why: prev ? 'changed' : 'new',
        filter: fromFolders ? { kind: 'all' } : { kind: 'partition', key, values: [value] },
        ...(pfiles ? { files: pfiles } : {}),
      };
      if (prevState?.fingerprint === digest) {
        plan.skipped.push({ partition, reason: `unchanged since version ${prev!.version}` });
      } else if (prev) {
        const changed = policy.changed ?? 'replace';
        if (changed === 'fail') {
          throw new DataError(`Partition ${partition} changed since it was ingested as version ${prev.version} of this dataset (late or re-exported data)`, {
            code: 'PARTITION_CHANGED', context: { partition },
            hint: "Set changed: 'replace' to re-ingest it as a new version that replaces the old one, or 'ignore' to keep the old one.",
          });
        }
        if (changed === 'ignore') {
          plan.skipped.push({ partition, reason: `changed since version ${prev.version}, left as it is (changed: 'ignore')` });
          plan.notes.push(`partition ${partition} has changed in the source since version ${prev.version}; not re-ingested`);
        } else {
          plan.batches.push(batch);
          plan.notes.push(`partition ${partition} changed since version ${prev.version}: re-ingested; the new version replaces it`);
        }
      } else {
        plan.batches.push(batch);
      }
    }
    return plan;
  }
}

async function planWatermark(engine: Engine, catalog: DatasetCatalog, reader: SourceReader, versions: DatasetVersionRecord[], policy: Extract<IncrementalPolicy, { by: 'watermark' }>, dataset: string): Promise<IngestPlan> {
  const column = policy.column;
  const type = (await reader.schema(engine)).find((c) => c.name === column)?.type;
  if (!type) {
    throw new DataError(`The watermark column "${column}" is not in ${reader.description}`, {
      code: 'MISSING_COLUMN', context: { column }, hint: 'Name a column that grows with new data (an update time or an increasing id).',
    });
  }
  const states = versions.map((v) => ({ v, s: ingestStateOf(v) })).filter((x) => x.s?.mode === 'watermark' && x.s.watermarkColumn === column);
  const prev = states[0]?.s?.watermarkUpTo ?? null;
  const ingestedRows = states.reduce((n, x) => n + (x.s?.sourceRows ?? 0), 0);
  const col = quoteIdent(column);
  const rows = await reader.query(
    engine,
    (t) => {
      const above = prev === null ? `${col} IS NOT NULL` : `${col} > CAST(${quoteLiteral(prev)} AS ${type})`;
      return `SELECT CAST(max(${col}) AS VARCHAR) AS hi, count(*) FILTER (WHERE ${above}) AS fresh, count(*) FILTER (WHERE NOT (${above})) AS old, count(*) FILTER (WHERE ${col} IS NULL) AS nulls FROM ${t}`;
    },
    (q, param) => {
      const c = `q.${pgIdent(column)}`;
      if (prev === null) return `SELECT CAST(max(${c}) AS text) AS hi, count(${c}) AS fresh, 0 AS old, count(*) - count(${c}) AS nulls FROM ${q}`;
      const p = param(prev);
      return `SELECT CAST(max(${c}) AS text) AS hi, count(*) FILTER (WHERE ${c} > ${p}) AS fresh, count(*) FILTER (WHERE ${c} <= ${p}) AS old, count(*) - count(${c}) AS nulls FROM ${q}`;
    },
  );
  const r = rows[0] ?? {};
  const hi = r['hi'] === null || r['hi'] === undefined ? null : String(r['hi']);
  const fresh = Number(r['fresh'] ?? 0);
  const old = Number(r['old'] ?? 0);
  const nulls = Number(r['nulls'] ?? 0);
  const plan: IngestPlan = { batches: [], skipped: [], notes: [] };
  if (nulls > 0) plan.notes.push(`${nulls} rows have a null ${column} and are never ingested by watermark`);
  // Rows at or below the watermark beyond those already ingested arrived late.
  const late = Math.max(0, old - ingestedRows);
  const policyLate = policy.late ?? 'ignore';
  const lookback = typeof policyLate === 'object' ? policyLate : null;
  if (late > 0) {
    if (policyLate === 'fail') {
      throw new DataError(`${late} rows arrived late in ${reader.description}: their ${column} is at or below the watermark ${prev} already ingested`, {
        code: 'LATE_DATA', context: { column },
        hint: "Set late: { lookback, key } to re-read a window and add the rows not yet ingested, or late: 'ignore' to leave them out.",
      });
    }
    if (policyLate === 'ignore') plan.notes.push(`${late} late rows (${column} at or below ${prev}) ignored (late: 'ignore')`);
  }
  if (hi === null || (fresh === 0 && !(late > 0 && lookback))) {
    plan.skipped.push({ partition: null, reason: prev === null ? 'the source is empty' : `no rows with ${column} above ${prev}` });
    return plan;
  }
  let after = prev;
  let antiJoin: IngestBatch['antiJoin'];
  if (lookback && prev !== null) {
    if (lookback.key.length === 0) throw new DataError('late.key must name at least one column', { code: 'BAD_OPTION' });
    const back = typeof lookback.lookback === 'number' ? String(lookback.lookback) : `INTERVAL ${quoteLiteral(lookback.lookback)}`;
    after = String(await engine.scalar(`SELECT CAST(CAST(${quoteLiteral(prev)} AS ${type}) - ${back} AS VARCHAR)`));
    antiJoin = { key: lookback.key, paths: states.map((x) => catalog.toRef(x.v).path) };
  }
  const state: IngestState = {
    ...baseState(reader, 'watermark'), fingerprint: sha256(`${column}\u0000${after}\u0000${hi}`),
    watermarkColumn: column, watermarkAfter: after, watermarkUpTo: hi, files: (await reader.files()).length,
    basis: { dataset, scope: 'watermark', latest: states[0]?.v.id ?? null },
  };
  plan.batches.push({
    partition: `watermark:${column} in (${after ?? '-inf'}, ${hi}]`, filter: { kind: 'watermark', column, after, upTo: hi }, state, why: 'after-watermark',
    ...(antiJoin ? { antiJoin } : {}),
  });
  return plan;
}

async function contentDigest(engine: Engine, reader: SourceReader): Promise<string> {
  const rows = await reader.query(
    engine,
    (t) => `SELECT count(*) AS n, CAST(sum(hash(s)) AS VARCHAR) AS h FROM ${t} AS s`,
    (q) => `SELECT count(*) AS n, CAST(sum(hashtext(q::text)::bigint) AS text) AS h FROM ${q}`,
  );
  return `${String(rows[0]?.['n'])}:${String(rows[0]?.['h'])}`;
}


