export { suite, type Bound, type DatasetExpectation, type Expect, type Expectation, type ExpectationOptions, type Reference, type RowExpectation, type RowOptions, type SchemaExpectation, type Severity, type Suite } from './expectations.ts';
export { compileSuite, describe as describeExpectation, uniqueSql, type CompiledSuite, type CompileOptions, type DatasetCheck, type RowCheck } from './compile.ts';
export { decideDrift, type DriftPolicy } from './drift.ts';
export { formatReport, overallStatus, ValidationError, type DriftReport, type ExpectationResult, type Status, type ValidationReport } from './report.ts';
export { validateRelation, validateDataset, type SplitOptions, type ValidateOptions, type ValidationOutcome } from './validate.ts';
export { ingestValidated, type ValidatedIngestRequest, type ValidatedIngestResult } from './ingest.ts';
