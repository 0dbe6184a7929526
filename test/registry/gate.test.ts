import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePromotion, metricDirection } from '../../src/registry/gate.ts';

const rows = 1000;

test('the first model is promoted; after that the challenger must beat the champion by the minimum gain', () => {
  const first = decidePromotion({ metric: 'auc' }, { challenger: { auc: 0.6 }, champion: null, rows });
  assert.equal(first.promote, true);
  assert.match(first.reason, /no champion yet/);
  const better = decidePromotion({ metric: 'auc', minGain: 0.01 }, { challenger: { auc: 0.72 }, champion: { auc: 0.70 }, rows });
  assert.equal(better.promote, true);
  assert.ok(Math.abs(better.gain! - 0.02) < 1e-12);
  assert.match(better.reason, /auc 0\.7200 against the champion's 0\.7000 on the same 1000 rows: a gain of 0\.02000 \(at least 0\.01000 required\)/);
  const tooLittle = decidePromotion({ metric: 'auc', minGain: 0.03 }, { challenger: { auc: 0.72 }, champion: { auc: 0.70 }, rows });
  assert.equal(tooLittle.promote, false);
  assert.match(tooLittle.reason, /below the required 0\.03000/);
  const tie = decidePromotion({ metric: 'auc' }, { challenger: { auc: 0.70 }, champion: { auc: 0.70 }, rows });
  assert.equal(tie.promote, false, 'a tie does not replace the champion');
});

test('losses are minimized: a lower log loss is a gain', () => {
  assert.equal(metricDirection('logLoss'), 'minimize');
  assert.equal(metricDirection('rmse'), 'minimize');
  assert.equal(metricDirection('auc'), 'maximize');
  const d = decidePromotion({ metric: 'logLoss', minGain: 0.005 }, { challenger: { logLoss: 0.44 }, champion: { logLoss: 0.45 }, rows });
  assert.equal(d.promote, true);
  assert.ok(d.gain! > 0);
  assert.equal(decidePromotion({ metric: 'logLoss' }, { challenger: { logLoss: 0.46 }, champion: { logLoss: 0.45 }, rows }).promote, false);
});

test('guards refuse a win that costs too much elsewhere or moves the predictions too far', () => {
  const gate = { metric: 'auc', guards: [{ metric: 'logLoss', maxWorsening: 0.01 }], maxPredictionDrift: 0.2 };
  const worseLoss = decidePromotion(gate, { challenger: { auc: 0.75, logLoss: 0.50 }, champion: { auc: 0.70, logLoss: 0.45 }, rows, predictionDrift: 0.05 });
  assert.equal(worseLoss.promote, false);
  assert.match(worseLoss.reason, /logLoss gets worse by 0\.05000, more than the 0\.01000 the gate allows/);
  const drifted = decidePromotion(gate, { challenger: { auc: 0.75, logLoss: 0.45 }, champion: { auc: 0.70, logLoss: 0.45 }, rows, predictionDrift: 0.3 });
  assert.equal(drifted.promote, false);
  assert.match(drifted.reason, /predictions drift by 0\.3000/);
  assert.equal(decidePromotion(gate, { challenger: { auc: 0.75, logLoss: 0.455 }, champion: { auc: 0.70, logLoss: 0.45 }, rows, predictionDrift: 0.1 }).promote, true);
});

test('a gate that cannot be evaluated is an error naming what is missing', () => {
  assert.throws(() => decidePromotion({ metric: 'f1' }, { challenger: { auc: 0.7 }, champion: { auc: 0.6 }, rows }), /the challenger has no metric "f1" \(it has auc\)/);
  assert.throws(() => decidePromotion({ metric: '' }, { challenger: {}, champion: null, rows }), /"metric" must name the metric/);
  assert.throws(() => decidePromotion({ metric: 'auc', minGain: -1 }, { challenger: { auc: 1 }, champion: null, rows }), /"minGain" must be a number >= 0/);
  assert.throws(() => decidePromotion({ metric: 'auc', maxPredictionDrift: 0.1 }, { challenger: { auc: 0.8 }, champion: { auc: 0.7 }, rows }), /prediction drift was not measured/);
});
