export { CategoryEncoder, fitCategoryEncoder, type CategoryEncoderOptions } from './category-encoder.ts';
export { FeaturePipeline } from './feature-pipeline.ts';
export { StandardScaler, fitStandardScaler } from './standard-scaler.ts';
export { loadTransformer, registerTransformer, type FittedTransformer } from './transformer.ts';
