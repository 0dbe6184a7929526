export { Engine, openEngine, type EngineOptions, type Row, type RowValue } from './engine.ts';
export { quoteIdent, quoteLiteral, readParquetSql, sqlValue } from './sql.ts';
export type { ColumnSchema } from './types.ts';
export { type AppendSchema, type AppendType, type BatchColumn, type ColumnBatch, type FixedArray } from './append.ts';
export { openArrowFile, type ArrowColumn, type ArrowFile } from './arrow-ipc.ts';
export { checkSqlType, csvScanSql, exactPath, jsonScanSql, parquetScanSql, sniffCsvSql, type CsvScanOptions, type FileScanOptions, type JsonScanOptions, type ParquetScanOptions } from './readers.ts';
