/**
 * Schema drift handling: the columns of new data against the dataset's previous version, and what a
 * policy does about a difference.
 *
 * - 'fail' (default): any added, removed or retyped column stops the step (nothing registered).
 * - 'additive': new columns are accepted; a removed or retyped column stops the step.
 * - 'warn': the new schema is accepted as it is, and the drift reported.
 * - 'coerce': the data is made to fit the previous schema: new columns dropped, missing ones NULL,
 *   retyped ones cast back; a value that does not cast goes to the quarantine with its reason.
 */
import { DataError } from '../core/errors.ts';
import type { ColumnSchema } from '../engine/index.ts';
import { quoteIdent, quoteLiteral } from '../engine/index.ts';
import { compareSchemas, hasDrift, type SchemaDrift } from '../data/index.ts';
import type { RowExpectation } from './expectations.ts';
import type { DriftReport } from './report.ts';

export type DriftPolicy = 'fail' | 'additive' | 'warn' | 'coerce';

export interface DriftDecision {
  report: DriftReport | null;
  /** For 'coerce': how to rewrite the columns, and the checks quarantining values that did not cast. */
  project?: { select: string[]; columns: ColumnSchema[] };
  checks: RowExpectation[];
}

const RAW = '__sluice_raw_';

export function decideDrift(
  previous: { dataset: string; version: number; schema: readonly ColumnSchema[] } | null,
  now: readonly ColumnSchema[], policy: DriftPolicy,
): DriftDecision {
  if (!previous) return { report: null, checks: [] };
  const d: SchemaDrift = compareSchemas(previous.schema, now);
  if (!hasDrift(d)) return { report: null, checks: [] };
  const base = { against: { dataset: previous.dataset, version: previous.version }, ...d, policy };
  const describe = [
    ...d.added.map((c) => `added ${c.name} ${c.type}`), ...d.removed.map((c) => `removed ${c.name} ${c.type}`),
    ...d.retyped.map((c) => `${c.name} changed ${c.from} -> ${c.to}`),
  ].join(', ');
  const stop = (why: string): never => {
    throw new DataError(`Schema drift in "${previous.dataset}" against version ${previous.version}: ${describe} (${why})`, {
      code: 'SCHEMA_DRIFT', context: { dataset: previous.dataset },
      hint: "Nothing was registered. If the change is intended, set schemaDrift: 'warn' (accept it), 'additive' (accept new columns) or 'coerce' (fit the data to the previous schema).",
    });
  };
  switch (policy) {
    case 'fail': return stop("policy 'fail'");
    case 'additive':
      if (d.removed.length || d.retyped.length) return stop("policy 'additive' accepts new columns only");
      return { report: { ...base, action: `accepted ${d.added.length} new column(s)` }, checks: [] };
    case 'warn':
      return { report: { ...base, action: 'accepted the new schema (warn)' }, checks: [] };
    case 'coerce': {
      const have = new Map(now.map((c) => [c.name, c.type]));
      const select: string[] = [];
      const columns: ColumnSchema[] = [];
      const checks: RowExpectation[] = [];
      for (const c of previous.schema) {
        const x = `s0.${quoteIdent(c.name)}`;
        const t = have.get(c.name);
        if (t === undefined) select.push(`CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
        else if (t.toUpperCase() === c.type.toUpperCase()) select.push(`${x} AS ${quoteIdent(c.name)}`);
        else {
          select.push(`TRY_CAST(${x} AS ${c.type}) AS ${quoteIdent(c.name)}`, `${x} AS ${quoteIdent(RAW + c.name)}`);
          columns.push({ name: RAW + c.name, type: t });
          const raw = quoteIdent(RAW + c.name);
          checks.push({
            kind: 'sql', level: 'row', name: `${c.name}_fits_${c.type.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`, severity: 'warn', mostly: 1, quarantine: true,
            predicate: `${raw} IS NULL OR ${quoteIdent(c.name)} IS NOT NULL`,
            reasonSql: `${quoteLiteral(`schema drift: ${c.name} = `)} || left(CAST(${raw} AS VARCHAR), 80) || ${quoteLiteral(` does not convert to ${c.type} (the previous type)`)}`,
          });
        }
        columns.push({ name: c.name, type: c.type });
      }
      return {
        report: { ...base, action: `coerced to the schema of version ${previous.version}${d.added.length ? ` (dropped ${d.added.map((c) => c.name).join(', ')})` : ''}` },
        project: { select, columns }, checks,
      };
    }
  }
}
