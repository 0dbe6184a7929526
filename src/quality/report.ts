/**
 * The validation report: counts per expectation, sample bad rows, schema drift, and the verdict. It is
 * stored with the dataset version it validated (`meta.validation`) and printed by
 * `sluice datasets show <name>`.
 */
import { DataError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';

export type Status = 'passed' | 'warned' | 'failed';

export interface ExpectationResult {
  name: string;
  kind: string;
  level: 'schema' | 'row' | 'dataset';
  severity: 'fail' | 'warn';
  status: Status;
  description: string;
  /** Why it failed, when that is not just the counts (a missing column, an observed value). */
  message?: string;
  /** Dataset level: the value observed (row count, mean, quantile, newest time). */
  observed: Json;
  /** Row level: rows that broke it, their share of the rows read, and whether they were quarantined. */
  failedRows?: number;
  failedShare?: number;
  quarantined?: boolean;
  /** Row level: up to five failing rows (values as text). */
  samples?: { [column: string]: string | null }[];
}

export interface DriftReport {
  /** The version compared against. */
  against: { dataset: string; version: number } | null;
  added: { name: string; type: string }[];
  removed: { name: string; type: string }[];
  retyped: { name: string; from: string; to: string }[];
  policy: string;
  /** What was done about it. */
  action: string;
}

export interface ValidationReport {
  suite: string;
  dataset: string;
  partition: string | null;
  status: Status;
  rows: { input: number; clean: number; quarantined: number; unparsed: number };
  expectations: ExpectationResult[];
  drift: DriftReport | null;
  /** Epoch ms when the validation ran, and how long it took. */
  at: number;
  durationMs: number;
}

/** A validation with a failed expectation of severity 'fail': the step fails and registers nothing. */
export class ValidationError extends DataError {
  readonly report: ValidationReport;

  constructor(report: ValidationReport, artifact?: string) {
    const failed = report.expectations.filter((e) => e.status === 'failed');
    const lines = failed.map((e) => `  - ${e.name}: ${e.description}${e.message ? ` (${e.message})` : e.failedRows !== undefined ? ` (${e.failedRows} of ${report.rows.input} rows)` : ''}`);
    const driftLine = report.drift && report.drift.action.startsWith('failed') ? [`  - schema drift: ${report.drift.action}`] : [];
    super(`Validation of "${report.dataset}"${report.partition ? ` (${report.partition})` : ''} with suite "${report.suite}" failed:\n${[...driftLine, ...lines].join('\n')}`, {
      code: 'VALIDATION_FAILED',
      context: { dataset: report.dataset, ...(report.partition ? { partition: report.partition } : {}), ...(artifact ? { report: artifact } : {}) },
      hint: `Nothing was registered. Fix the data, or relax the expectation (severity: 'warn', mostly, bounds).${artifact ? ` The full report is artifact ${artifact}.` : ''}`,
    });
    this.name = 'ValidationError';
    this.report = report;
  }
}

/** The report as stored JSON (undefined fields dropped). */
export function reportJson(report: ValidationReport): { [key: string]: Json } {
  return JSON.parse(JSON.stringify(report)) as { [key: string]: Json };
}

/** The verdict: failed if any failed expectation (or drift) fails the step, warned if any warned. */
export function overallStatus(results: readonly ExpectationResult[], drift: DriftReport | null): Status {
  if (drift?.action.startsWith('failed') || results.some((r) => r.status === 'failed')) return 'failed';
  return results.some((r) => r.status === 'warned') || (drift !== null && drift.action !== 'none') ? 'warned' : 'passed';
}

/** The report as text (what the CLI prints). */
export function formatReport(r: ValidationReport): string {
  const pct = (n: number): string => (r.rows.input > 0 ? `${((100 * n) / r.rows.input).toFixed(n > 0 && n * 1000 < r.rows.input ? 3 : 1)}%` : '-');
  const out: string[] = [];
  out.push(`validation ${r.status.toUpperCase()}: suite "${r.suite}" on ${r.dataset}${r.partition ? ` (${r.partition})` : ''}, ${new Date(r.at).toISOString()}, ${r.durationMs} ms`);
  out.push(`  rows: ${r.rows.input.toLocaleString('en-US')} read, ${r.rows.clean.toLocaleString('en-US')} clean, ${r.rows.quarantined.toLocaleString('en-US')} quarantined (${pct(r.rows.quarantined)})${r.rows.unparsed ? `, of which ${r.rows.unparsed.toLocaleString('en-US')} did not parse` : ''}`);
  if (r.drift) {
    const parts = [
      ...r.drift.added.map((c) => `+${c.name} ${c.type}`), ...r.drift.removed.map((c) => `-${c.name} ${c.type}`),
      ...r.drift.retyped.map((c) => `${c.name} ${c.from} -> ${c.to}`),
    ];
    if (parts.length) out.push(`  schema drift vs ${r.drift.against ? `v${r.drift.against.version}` : '?'}: ${parts.join(', ')}; policy ${r.drift.policy}: ${r.drift.action}`);
  }
  const mark: Record<Status, string> = { passed: 'ok  ', warned: 'WARN', failed: 'FAIL' };
  for (const e of r.expectations) {
    const count = e.failedRows !== undefined ? ` ${e.failedRows.toLocaleString('en-US')} rows${e.failedRows > 0 ? ` (${pct(e.failedRows)})${e.quarantined ? ' quarantined' : ' counted'}` : ''}` : '';
    const observed = e.level === 'dataset' && e.observed !== null ? ` observed ${typeof e.observed === 'number' ? Number(e.observed.toPrecision(6)) : String(e.observed)}` : '';
    out.push(`  ${mark[e.status]} ${e.name} [${e.level}, ${e.severity}]: ${e.description}${count}${observed}${e.message ? ` - ${e.message}` : ''}`);
    for (const s of (e.samples ?? []).slice(0, 3)) {
      out.push(`         e.g. ${Object.entries(s).map(([k, v]) => `${k}=${v ?? 'NULL'}`).join(' ')}`.slice(0, 160));
    }
  }
  return out.join('\n');
}
