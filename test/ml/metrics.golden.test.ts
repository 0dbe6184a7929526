// Every metric against scikit-learn 1.2.1 on the same predictions (test/golden/metrics.json,
// written by test/golden/make_metrics_golden.py), to 1e-9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy, averagePrecision, brierScore, calibrationCurve, confusionMatrix, f1, logLoss, mae, mape, mse,
  precision, precisionRecallCurve, r2, recall, rmse, rocAuc, rocCurve,
} from '../../src/ml/metrics/index.ts';
import { goldenJson } from '../helpers/golden.ts';

interface BinaryCase {
  name: string; yTrue: number[]; yScore: number[]; sampleWeight: number[] | null; curves: boolean;
  curveLengths: { roc: number; rocAll: number; pr: number };
  expected: Record<string, number | number[] | Record<string, number[]>>;
}
interface MulticlassCase { name: string; k: number; yTrue: number[]; yProb: number[]; sampleWeight: number[] | null; expected: Record<string, number | number[]> }
interface RegressionCase { name: string; yTrue: number[]; yPred: number[]; sampleWeight: number[] | null; expected: Record<string, number> }
const golden = goldenJson('metrics') as {
  binary: BinaryCase[]; multiclass: MulticlassCase[]; regression: RegressionCase[];
};

const TOL = 1e-9;
function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOL * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}
function closeArray(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) close(actual[i]!, expected[i]!, `${what}[${i}]`);
}
/** Compares the first two and last two points (large cases keep only those). */
function closeEnds(actual: ArrayLike<number>, expected: number[], length: number, what: string): void {
  assert.equal(actual.length, length, `${what}: length`);
  const idx = [0, 1, length - 2, length - 1];
  idx.forEach((j, t) => close(actual[j]!, expected[t]!, `${what}[${j}]`));
}
const f64 = (a: number[]): Float64Array => Float64Array.from(a);
const weights = (w: number[] | null): { sampleWeight?: Float64Array } => (w === null ? {} : { sampleWeight: f64(w) });

for (const c of golden.binary) {
  test(`binary metrics match scikit-learn: ${c.name}`, () => {
    const y = f64(c.yTrue);
    const s = f64(c.yScore);
    const w = weights(c.sampleWeight);
    const e = c.expected;
    close(rocAuc(y, s, w), e.rocAuc as number, 'rocAuc');
    close(averagePrecision(y, s, w), e.averagePrecision as number, 'averagePrecision');
    const curves: [string, { fpr: Float64Array; tpr: Float64Array; thresholds: Float64Array }, number][] = [
      ['rocCurve', rocCurve(y, s, w), c.curveLengths.roc],
      ['rocCurveAll', rocCurve(y, s, { ...w, dropIntermediate: false }), c.curveLengths.rocAll],
    ];
    for (const [key, got, length] of curves) {
      const exp = e[key] as Record<string, number[]>;
      for (const part of ['fpr', 'tpr', 'thresholds'] as const) {
        if (c.curves) closeArray(got[part], exp[part]!, `${key}.${part}`);
        else closeEnds(got[part], exp[part]!, length, `${key}.${part}`);
      }
    }
    const pr = precisionRecallCurve(y, s, w);
    const expPr = e.prCurve as Record<string, number[]>;
    for (const part of ['precision', 'recall', 'thresholds'] as const) {
      const length = part === 'thresholds' ? c.curveLengths.pr - 1 : c.curveLengths.pr;
      if (c.curves) closeArray(pr[part], expPr[part]!, `prCurve.${part}`);
      else closeEnds(pr[part], expPr[part]!, length, `prCurve.${part}`);
    }
    const pred = f64(e.yPred as number[]);
    close(accuracy(y, pred, w), e.accuracy as number, 'accuracy');
    close(accuracy(y, pred, { ...w, normalize: false }), e.accuracyCount as number, 'accuracy count');
    close(precision(y, pred, w), e.precision as number, 'precision');
    close(recall(y, pred, w), e.recall as number, 'recall');
    close(f1(y, pred, w), e.f1 as number, 'f1');
    close(f1(y, pred, { ...w, average: 'macro' }), e.f1Macro as number, 'f1 macro');
    close(f1(y, pred, { ...w, average: 'micro' }), e.f1Micro as number, 'f1 micro');
    closeArray(confusionMatrix(y, pred, w).matrix, e.confusion as number[], 'confusion');
    if (e.logLoss !== undefined) {
      close(logLoss(y, s, w), e.logLoss as number, 'logLoss');
      close(logLoss(y, s, { ...w, normalize: false }), e.logLossSum as number, 'logLoss sum');
      close(brierScore(y, s, w), e.brier as number, 'brier');
    }
    for (const strategy of ['uniform', 'quantile'] as const) {
      for (const nBins of [5, 10]) {
        const exp = e[`calibration_${strategy}_${nBins}`] as Record<string, number[]> | undefined;
        if (exp === undefined) continue;
        const got = calibrationCurve(y, s, { strategy, nBins });
        closeArray(got.probTrue, exp.probTrue!, `calibration ${strategy} ${nBins} probTrue`);
        closeArray(got.probPred, exp.probPred!, `calibration ${strategy} ${nBins} probPred`);
      }
    }
  });
}

for (const c of golden.multiclass) {
  test(`multiclass metrics match scikit-learn: ${c.name}`, () => {
    const y = f64(c.yTrue);
    const w = weights(c.sampleWeight);
    const e = c.expected;
    const pred = f64(e.yPred as number[]);
    close(logLoss(y, f64(c.yProb), w), e.logLoss as number, 'logLoss');
    close(accuracy(y, pred, w), e.accuracy as number, 'accuracy');
    closeArray(confusionMatrix(y, pred, w).matrix, e.confusion as number[], 'confusion');
    closeArray(confusionMatrix(y, pred, { ...w, normalize: 'true' }).matrix, e.confusionTrue as number[], 'confusion true');
    closeArray(confusionMatrix(y, pred, { ...w, normalize: 'pred' }).matrix, e.confusionPred as number[], 'confusion pred');
    closeArray(confusionMatrix(y, pred, { ...w, normalize: 'all' }).matrix, e.confusionAll as number[], 'confusion all');
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      close(precision(y, pred, { ...w, average }), e[`precision_${average}`] as number, `precision ${average}`);
      close(recall(y, pred, { ...w, average }), e[`recall_${average}`] as number, `recall ${average}`);
      close(f1(y, pred, { ...w, average }), e[`f1_${average}`] as number, `f1 ${average}`);
    }
  });
}

for (const c of golden.regression) {
  test(`regression metrics match scikit-learn: ${c.name}`, () => {
    const y = f64(c.yTrue);
    const p = f64(c.yPred);
    const w = weights(c.sampleWeight);
    close(mse(y, p, w), c.expected.mse!, 'mse');
    close(rmse(y, p, w), c.expected.rmse!, 'rmse');
    close(mae(y, p, w), c.expected.mae!, 'mae');
    close(mape(y, p, w), c.expected.mape!, 'mape');
    close(r2(y, p, w), c.expected.r2!, 'r2');
  });
}
