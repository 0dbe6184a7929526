export { Engine, openEngine, type EngineOptions, type Row, type RowValue } from './engine.ts';
export { quoteIdent, quoteLiteral, readParquetSql, sqlValue } from './sql.ts';
export type { ColumnSchema } from './types.ts';
