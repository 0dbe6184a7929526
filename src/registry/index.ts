export { ModelRegistry, isModelRef, isStagedModel, type ModelRef, type StagedModel } from './registry.ts';
export { MODEL_FORMAT, base64ToF64, decodeModelPackage, encodeModelPackage, f64ToBase64, type ModelPackage } from './package.ts';
export { Predictor, loadPredictor, scoreDataset, trainModel, type TrainOptions } from './trained-model.ts';
export { decidePromotion, metricDirection, validateGate, type PromotionDecision, type PromotionEvidence, type PromotionGate } from './gate.ts';
