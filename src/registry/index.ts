export { ModelRegistry, isModelRef, isStagedModel, type ModelRef, type StagedModel } from './registry.ts';
// The package format and training live with the models (src/ml/); re-exported for the registry's users.
export { MODEL_FORMAT, base64ToF64, decodeModelPackage, encodeModelPackage, f64ToBase64, type ModelPackage } from '../ml/package.ts';
export { Predictor, loadPredictor, scoreDataset, trainModel, type ScoreOptions, type TrainOptions } from '../ml/train.ts';
export { decidePromotion, metricDirection, validateGate, type PromotionDecision, type PromotionEvidence, type PromotionGate } from './gate.ts';
