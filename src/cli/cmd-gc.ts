/**
 * `sluice gc [--grace 24h] [--dry-run] [--json]`: removes crash leftovers in artifacts/tmp and artifacts
 * nothing references (no live dataset version, model version or staged output) older than the grace
 * period.
 */
import type { SluiceConfig } from '../core/config.ts';
import { SluiceError } from '../core/errors.ts';
import { collectGarbage, DEFAULT_GC_GRACE_MS } from '../data/index.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import { formatDuration } from './format.ts';

export async function cmdGc(options: { grace?: string | undefined; dryRun?: boolean | undefined; json?: boolean | undefined }, config: SluiceConfig, out: (text: string) => void): Promise<number> {
  const graceMs = options.grace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(options.grace);
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  try {
    const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
    const report = await collectGarbage(store, artifacts, { graceMs, dryRun: options.dryRun === true });
    if (options.json) { out(JSON.stringify({ dryRun: options.dryRun === true, graceMs, ...report }, null, 2)); return 0; }
    const verb = options.dryRun ? 'would remove' : 'removed';
    out(`gc (grace ${formatDuration(graceMs)}): ${verb} ${report.tempFiles.length} leftover file(s) in ${artifacts.tempDir()} and ${report.artifacts.length} unreferenced artifact(s); kept ${report.referenced} referenced and ${report.young} unreferenced younger than the grace period`);
    for (const f of report.tempFiles.slice(0, 20)) out(`  tmp ${f.path} (${formatDuration(f.ageMs)} old)`);
    for (const a of report.artifacts.slice(0, 20)) out(`  artifact ${a}`);
    return 0;
  } finally {
    await store.close();
  }
}

/** "90s", "10m", "2h", "1d", or milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new SluiceError(`--grace expects a duration such as 30m, 2h or 1d, got "${text}"`, { code: 'USAGE', hint: 'Units: ms, s, m, h, d (a bare number is milliseconds).' });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Number(m[1]) * unit;
}
