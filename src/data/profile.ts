/**
 * Column profile of a dataset version, computed by DuckDB's SUMMARIZE in one pass: per column the
 * type, min, max, approximate distinct count, mean, standard deviation, quartiles, and null share.
 */
import type { Engine } from '../engine/index.ts';
import type { Json } from '../store/types.ts';

export interface ColumnProfile {
  [key: string]: Json;
  name: string;
  type: string;
  min: string | null;
  max: string | null;
  distinct: number | null;
  mean: number | null;
  std: number | null;
  q25: string | null;
  q50: string | null;
  q75: string | null;
  count: number;
  nullFraction: number;
}

export async function profileDataset(engine: Engine, tableSql: string): Promise<ColumnProfile[]> {
  const rows = await engine.rows(`SUMMARIZE SELECT * FROM ${tableSql}`);
  return rows.map((r) => ({
    name: String(r['column_name']),
    type: String(r['column_type']),
    min: str(r['min']),
    max: str(r['max']),
    distinct: num(r['approx_unique']),
    mean: num(r['avg']),
    std: num(r['std']),
    q25: str(r['q25']),
    q50: str(r['q50']),
    q75: str(r['q75']),
    count: num(r['count']) ?? 0,
    nullFraction: (num(r['null_percentage']) ?? 0) / 100,
  }));
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
