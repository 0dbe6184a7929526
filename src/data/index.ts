export {
  checkName, DatasetCatalog, datasetSql, isDatasetRef, isDatasetSnapshot, isStagedDataset,
  type DatasetRef, type DatasetSnapshot, type Lineage, type StagedDataset, type StageOptions,
} from './catalog.ts';
export { profileDataset, estimateDistinct, type ColumnProfile, type ProfileOptions } from './profile.ts';
export { arrow, csv, describeSource, json, ndjson, parquet, postgres, tsv } from './sources.ts';
export type { ArrowSource, CsvOptions, CsvSource, FileOptions, JsonOptions, JsonSource, ParquetSource, PostgresSource, Source } from './sources.ts';
export { listFiles, filesFingerprint, hivePartition, type SourceFile } from './files.ts';
export { openSource, type BatchFilter, type PartitionKey, type SourceReader, type SourceScan } from './read-source.ts';
export { checkIngestRequest, ingest, runIngest, type BatchWriter, type IngestRequest, type IngestResult } from './ingest.ts';
export { planIngest, ingestStateOf, type IncrementalPolicy, type IngestBatch, type IngestPlan, type IngestState } from './ingest-plan.ts';
export { FAILED_TYPE, quarantineName, rejectsAsQuarantineSql } from './quarantine.ts';
export { writeVersion, type WriteVersionOptions } from './write-version.ts';
export { checkRetention, versionsToExpire, type RetentionPolicy } from './retention.ts';
export { compareSchemas, hasDrift, type SchemaDrift } from './schema-drift.ts';
export { openRelation, relationOf, type OpenRelationOptions, type Relation } from './relation.ts';
export { writeRelation, parseColumnStats, type Moments, type WriteRelationOptions } from './write-relation.ts';
export { exactFacts, sampleProfile, sampleStride, kindOf, type ColumnFacts } from './profile.ts';
export { collectGarbage, DEFAULT_GC_GRACE_MS, type GcOptions, type GcReport } from './gc.ts';
