/**
 * Resolving the datasets a suite refers to (valuesIn): each name becomes a SQL table expression over
 * the dataset's current content, read when the checks run.
 */
import { datasetSql, type DatasetCatalog } from '../data/index.ts';
import type { Suite } from './expectations.ts';

export async function resolveReferences(catalog: DatasetCatalog, suite: Suite<unknown>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of suite.expectations) {
    if (e.kind !== 'values_in' || !('dataset' in e.reference) || out.has(e.reference.dataset)) continue;
    const snapshot = await catalog.current(e.reference.dataset);
    if (snapshot && snapshot.parts.length > 0) out.set(e.reference.dataset, datasetSql(snapshot));
  }
  return out;
}
