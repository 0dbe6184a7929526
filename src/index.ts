/**
 * Sluice: batch machine learning for predictive analytics, in TypeScript.
 *
 * @example
 * import { pipeline } from 'sluice';
 * export default pipeline('daily', { params: { limit: 0 } })
 *   .step('raw', [], (_in, ctx) => ctx.datasets.write('raw', `SELECT * FROM 'events.parquet'`))
 *   .step('count', ['raw'], ({ raw }) => ({ rows: raw.rowCount }));
 */
// Pipelines and runs.
export { pipeline, PipelineBuilder, createGraph, runPipeline, resolveParams } from './orchestrator/index.ts';
export type { Committed, Params, ParamValue, PipelineGraph, RunEvent, RunOptions, RunResult, StepContext, StepNode, StepOptions } from './orchestrator/index.ts';
// Partitions, schedules and the project file (sluice.config.ts).
export { daily, monthly, partitionKeys, defineProject } from './orchestrator/index.ts';
export type { CatchUpPolicy, PartitionsDef, ScheduleOptions, ProjectDefinition } from './orchestrator/index.ts';

// Errors.
export { SluiceError, DataError, PipelineDefinitionError, CancelledError } from './core/errors.ts';
export type { Json } from './core/json.ts';

// Data in memory and in DuckDB.
export { Frame, numberColumn, stringColumn, type Column, type NumberColumn, type StringColumn } from './frame/frame.ts';
export { Engine, openEngine, quoteIdent, quoteLiteral, readParquetSql, type EngineOptions } from './engine/index.ts';

// Datasets and models.
export { DatasetCatalog, datasetSql, type DatasetRef, type DatasetSnapshot, type StagedDataset } from './data/index.ts';
// Collecting data (sources, incremental ingest) and checking it (expectation suites, quarantine).
export { arrow, csv, json, ndjson, parquet, postgres, tsv, ingest } from './data/index.ts';
export type { CsvOptions, IncrementalPolicy, IngestResult, RetentionPolicy, Source } from './data/index.ts';
export { suite, ingestValidated, validateDataset, formatReport, ValidationError } from './quality/index.ts';
export type { DriftPolicy, Expect, Expectation, Suite, ValidationReport } from './quality/index.ts';
export { ModelRegistry, decodeModelPackage, encodeModelPackage } from './registry/index.ts';
export type { ModelPackage, ModelRef, StagedModel } from './registry/index.ts';
export { trainModel, loadPredictor, scoreDataset, Predictor, type ScoreOptions, type TrainOptions } from './ml/train.ts';
export { FeaturePipeline, fitFeaturePipeline, fitColumnTransformer, type PipelineStep } from './features/index.ts';
export { evaluateBinary, evaluateMulticlass, evaluateRegression, type BinaryMetrics, type MulticlassMetrics, type RegressionMetrics } from './ml/evaluate.ts';
export { exportOnnx, ONNX_OUTPUTS, type OnnxExportOptions } from './ml/export/index.ts';
export { registerEstimator, registeredEstimators, checkSpec, type ClassLabel, type Estimator, type EstimatorFamily, type EstimatorSpec, type EstimatorSpecs, type Task } from './ml/estimators.ts';
export { GradientBoostedTrees, type GbdtFitOptions } from './ml/gbdt/index.ts';
export { RandomForest } from './ml/forest/index.ts';

// The model lifecycle: promotion gates, drift, serving.
export { decidePromotion, metricDirection, type PromotionDecision, type PromotionEvidence, type PromotionGate } from './registry/index.ts';
export { compareOnRows, dataDrift, driftFrame, featureDrift, heldOutMetrics, measurePerformance, performanceFrame, shouldRetrain, type DataDriftOptions, type DataDriftReport, type DriftMethod, type FeatureDrift, type PerformanceOptions, type PerformanceRecord, type RetrainDecision, type RetrainPolicy } from './monitor/index.ts';
export { buildServer, serveModels, type RunningServer, type ServeOptions } from './server/index.ts';

// The toolkits, by area: `features.fitOneHotEncoder`, `metrics.rocAuc`, `selection.kFold`, `linear.fitLogisticRegression`.
export * as features from './features/index.ts';
export * as metrics from './ml/metrics/index.ts';
export * as selection from './ml/selection/index.ts';
export * as linear from './ml/linear/index.ts';

// Stores.
export { openMetadataStore, openArtifactStore } from './store/index.ts';
export type { MetadataStore, ArtifactStore, RunRecord, TaskRunRecord, DatasetVersionRecord, ModelVersionRecord, AliasHistoryRecord, AliasNote } from './store/types.ts';
