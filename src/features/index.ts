export { CategoryEncoder, fitCategoryEncoder, type CategoryEncoderOptions } from './category-encoder.ts';
export {
  ColumnTransformer, fitColumnTransformer, fitTransformColumnTransformer,
  type ColumnPart, type ColumnTransformerOptions, type FittedColumnPart,
} from './column-transformer.ts';
export { CYCLE_PERIODS, DateParts, fitDateParts, type CyclicPart, type DatePart, type DatePartsOptions } from './date-parts.ts';
export { FeatureHasher, fitFeatureHasher, murmurhash3, type FeatureHasherOptions } from './feature-hasher.ts';
export { FeaturePipeline, fitFeaturePipeline, fitTransformFeaturePipeline, type FeaturePipelineOptions, type PipelineStep } from './feature-pipeline.ts';
export { kFoldAssignment, stratifiedKFoldAssignment, type FoldAssignmentOptions } from './folds.ts';
export { Imputer, fitImputer, indicatorName, type ImputeFill, type ImputeStrategy, type ImputerOptions } from './imputer.ts';
export { OneHotEncoder, fitOneHotEncoder, type HandleUnknown, type OneHotColumn, type OneHotEncoderOptions } from './one-hot-encoder.ts';
export { OrdinalEncoder, fitOrdinalEncoder, type OrdinalEncoderOptions } from './ordinal-encoder.ts';
export { QuantileBinner, fitQuantileBinner, type QuantileBinnerOptions } from './quantile-binner.ts';
export { RobustScaler, fitRobustScaler, type RobustScalerOptions } from './robust-scaler.ts';
export { StandardScaler, fitStandardScaler, type StandardScalerOptions } from './standard-scaler.ts';
export { TargetEncoder, fitTargetEncoder, fitTransformTargetEncoder, type TargetEncoderOptions } from './target-encoder.ts';
export {
  fitTransform, isFitted, loadTransformer, registerTransformer, transformerOutputs,
  type Fitted, type FittedTransformer, type TransformerFit,
} from './transformer.ts';
