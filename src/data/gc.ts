/**
 * Garbage collection of the artifact store (`sluice gc`): crash leftovers in the scratch folder, and
 * artifacts nothing references (no live dataset version, no model version, no pin of a staged output)
 * once they are older than a grace period. The grace period protects files a writer has just put in
 * place and not yet pinned or registered; deletion re-checks references and pins under the pin lock
 * (DatasetCatalog.deleteUnreferenced), so a file being reused by a concurrent writer is kept.
 */
import { rm } from 'node:fs/promises';
import type { ArtifactStore, MetadataStore } from '../store/types.ts';
import { DatasetCatalog } from './catalog.ts';

export interface GcOptions {
  /** Only what is older than this is removed; default 24 hours. */
  graceMs?: number;
  now?: number;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
}

export interface GcReport {
  tempFiles: { path: string; ageMs: number }[];
  artifacts: string[];
  /** Unreferenced artifacts kept because they are younger than the grace period. */
  young: number;
  referenced: number;
}

export const DEFAULT_GC_GRACE_MS = 24 * 3_600_000;

export async function collectGarbage(store: MetadataStore, artifacts: ArtifactStore, options: GcOptions = {}): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const grace = options.graceMs ?? DEFAULT_GC_GRACE_MS;
  const report: GcReport = { tempFiles: [], artifacts: [], young: 0, referenced: 0 };

  for (const f of (await artifacts.listTemp?.()) ?? []) {
    if (now - f.mtimeMs < grace) continue;
    report.tempFiles.push({ path: f.path, ageMs: Math.round(now - f.mtimeMs) });
    if (!options.dryRun) await rm(f.path, { recursive: true, force: true });
  }

  if (artifacts.list) {
    const referenced = await store.listReferencedArtifacts();
    const candidates: string[] = [];
    for await (const a of artifacts.list()) {
      if (referenced.has(a.key)) { report.referenced++; continue; }
      if (now - a.mtimeMs < grace) { report.young++; continue; }
      candidates.push(a.key);
    }
    if (options.dryRun) report.artifacts = candidates;
    else report.artifacts = await new DatasetCatalog(store, artifacts, { now: () => now }).deleteUnreferenced(candidates);
  }
  return report;
}
