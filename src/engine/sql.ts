/**
 * Quoting for identifiers and values that come from users: nothing user-supplied reaches SQL unquoted.
 *
 * @example
 * `SELECT ${quoteIdent('my col')} FROM ${readParquetSql('/data/x.parquet')}`
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error(`string literal contains a NUL byte: ${JSON.stringify(value)}`);
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL literal for a JS value (numbers, strings, booleans, null, Date). */
export function sqlValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? "'NaN'::DOUBLE" : value > 0 ? "'Infinity'::DOUBLE" : "'-Infinity'::DOUBLE";
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return `TIMESTAMP ${quoteLiteral(value.toISOString().replace('T', ' ').replace('Z', ''))}`;
  return quoteLiteral(String(value));
}

export function readParquetSql(path: string | readonly string[]): string {
  return `read_parquet(${pathList(path)})`;
}

function pathList(path: string | readonly string[]): string {
  return typeof path === 'string' ? quoteLiteral(path) : `[${path.map(quoteLiteral).join(', ')}]`;
}
