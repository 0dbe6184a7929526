/**
 * Step outputs as durable JSON, so any process can read a step's output back as a later step's input.
 *
 * JSON values stay as they are. Registered datasets and models become markers that name them
 * (`{"$dataset": {"name", "version", "id"}}`, `{"$model": {...}}`, `{"$snapshot": {...}}`) and are
 * resolved against the catalog and registry when read. A value that JSON cannot hold faithfully (a
 * Frame, a typed array, a Date, a class instance, NaN) is stored as a summary instead (`kind:
 * 'summary'`): readable by people, but a later step in another process (or a retry) cannot take it as
 * an input, so that step's producer runs again.
 */
import { SluiceError } from '../core/errors.ts';
import type { DatasetCatalog, DatasetRef, DatasetSnapshot } from '../data/index.ts';
import { isDatasetRef, isDatasetSnapshot } from '../data/index.ts';
import type { ModelRef, ModelRegistry } from '../registry/index.ts';
import { isModelRef } from '../registry/index.ts';
import type { Json } from '../core/json.ts';
import { summarizeOutput } from './context.ts';

export interface EncodedOutput {
  json: Json;
  kind: 'value' | 'summary';
}

const MARKERS = ['$dataset', '$model', '$snapshot', '$undefined'];

export function encodeOutput(value: unknown): EncodedOutput {
  try {
    return { json: encode(value, 0), kind: 'value' };
  } catch (err) {
    if (err instanceof NotFaithful) return { json: summarizeOutput(value), kind: 'summary' };
    throw err;
  }
}

class NotFaithful extends Error {}

function encode(value: unknown, depth: number): Json {
  if (depth > 64) throw new NotFaithful('too deep');
  if (value === undefined) return depth === 0 ? { $undefined: true } : (() => { throw new NotFaithful('undefined'); })();
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotFaithful('non-finite number');
    return value;
  }
  if (typeof value !== 'object') throw new NotFaithful(typeof value);
  if (isDatasetRef(value)) return { $dataset: { name: value.name, version: value.version, id: value.id } };
  if (isModelRef(value)) return { $model: { name: value.name, version: value.version, id: value.id } };
  if (isDatasetSnapshot(value)) return { $snapshot: { name: value.name, parts: value.parts.map((p) => ({ name: p.name, version: p.version, id: p.id })) } };
  if (Array.isArray(value)) return value.map((v) => encode(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new NotFaithful('class instance');
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (MARKERS.includes(k)) throw new NotFaithful('reserved key');
    out[k] = encode(v, depth + 1);
  }
  return out;
}

/** Reads an encoded output back: markers become the registered refs. Throws if one no longer exists. */
export async function decodeOutput(json: Json, catalog: DatasetCatalog, registry: ModelRegistry, where: string): Promise<unknown> {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return Promise.all(json.map((v) => decodeOutput(v, catalog, registry, where)));
  const keys = Object.keys(json);
  if (keys.length === 1) {
    const k = keys[0]!;
    if (k === '$undefined') return undefined;
    if (k === '$dataset') return datasetRef(json[k] as { name: string; version: number }, catalog, where);
    if (k === '$model') {
      const m = json[k] as { name: string; version: number };
      return registry.get(m.name, m.version) as Promise<ModelRef>;
    }
    if (k === '$snapshot') {
      const s = json[k] as { name: string; parts: { name: string; version: number }[] };
      const parts = await Promise.all(s.parts.map((p) => datasetRef(p, catalog, where)));
      const snapshot: DatasetSnapshot = { kind: 'dataset-snapshot', name: s.name, parts, rowCount: parts.reduce((n, p) => n + p.rowCount, 0) };
      return snapshot;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) out[k] = await decodeOutput(v, catalog, registry, where);
  return out;
}

async function datasetRef(d: { name: string; version: number }, catalog: DatasetCatalog, where: string): Promise<DatasetRef> {
  try {
    return await catalog.get(d.name, d.version);
  } catch (err) {
    throw new SluiceError(`The output of ${where} names version ${d.version} of dataset "${d.name}", which can no longer be read: ${err instanceof Error ? err.message : String(err)}`, {
      code: 'OUTPUT_GONE', cause: err, context: { dataset: d.name, version: d.version },
      hint: 'Its retention policy may have expired it; rerun the pipeline from that step (a new run, or --no-cache).',
    });
  }
}

/** Dataset and model version ids an encoded output refers to (for cache keys and lineage). */
export function outputRefs(json: Json, out: string[] = []): string[] {
  if (json === null || typeof json !== 'object') return out;
  if (Array.isArray(json)) { for (const v of json) outputRefs(v, out); return out; }
  for (const [k, v] of Object.entries(json)) {
    if ((k === '$dataset' || k === '$model') && v && typeof v === 'object' && !Array.isArray(v)) out.push(String((v as { id?: Json }).id));
    else outputRefs(v, out);
  }
  return out;
}
