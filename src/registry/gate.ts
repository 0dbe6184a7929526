/**
 * Promotion gates as code: how a challenger may replace the champion. Both models are measured on the
 * same held-out rows; the gate compares one metric with a minimum gain, and guards can refuse a
 * promotion that wins on the metric but loses too much elsewhere or moves the predictions too far.
 * The decision carries its evidence (both models' metrics on those rows) to be recorded with the alias.
 *
 * @example
 * const gate: PromotionGate = { metric: 'auc', minGain: 0.002, guards: [{ metric: 'logLoss', maxWorsening: 0.01 }], maxPredictionDrift: 0.2 };
 * const decision = decidePromotion(gate, { challenger: { auc: 0.71, logLoss: 0.45 }, champion: { auc: 0.70, logLoss: 0.46 }, rows: 50_000 });
 * decision.promote; // true
 */
import { SluiceError } from '../core/errors.ts';

export interface PromotionGate {
  /** The metric that decides, e.g. 'auc', 'logLoss', 'rmse'. */
  metric: string;
  /** Default from the metric's name: losses and errors are minimized, everything else maximized. */
  direction?: 'maximize' | 'minimize';
  /** The challenger must beat the champion by at least this much (in the metric's units); default 0 (strictly better). */
  minGain?: number;
  /** Other metrics that may not get worse by more than `maxWorsening` (in their units). */
  guards?: readonly { metric: string; maxWorsening: number; direction?: 'maximize' | 'minimize' }[];
  /** Largest allowed drift between the champion's and the challenger's predictions on the same rows. */
  maxPredictionDrift?: number;
}

export interface PromotionEvidence {
  challenger: Readonly<Record<string, number>>;
  /** Null when there is no champion yet: the first model is promoted if its metric is a number. */
  champion: Readonly<Record<string, number>> | null;
  /** Rows both were measured on. */
  rows: number;
  /** Drift of the challenger's predictions against the champion's on those rows, if measured. */
  predictionDrift?: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** One sentence a person reads in the alias history. */
  reason: string;
  metric: string;
  direction: 'maximize' | 'minimize';
  /** Challenger minus champion, signed so that positive is better; null without a champion. */
  gain: number | null;
  evidence: PromotionEvidence;
}

const MINIMIZED = /(loss|error|rmse|mse|mae|mape|brier|deviance)$/i;

export function metricDirection(metric: string): 'maximize' | 'minimize' {
  return MINIMIZED.test(metric) ? 'minimize' : 'maximize';
}

export function validateGate(gate: PromotionGate): void {
  const where = 'Promotion gate';
  if (!gate || typeof gate.metric !== 'string' || gate.metric === '') {
    throw new SluiceError(`${where}: "metric" must name the metric that decides`, { code: 'BAD_GATE', hint: "For example { metric: 'auc', minGain: 0.002 }." });
  }
  if (gate.minGain !== undefined && !(Number.isFinite(gate.minGain) && gate.minGain >= 0)) {
    throw new SluiceError(`${where}: "minGain" must be a number >= 0, got ${String(gate.minGain)}`, { code: 'BAD_GATE' });
  }
  for (const g of gate.guards ?? []) {
    if (typeof g.metric !== 'string' || !(Number.isFinite(g.maxWorsening) && g.maxWorsening >= 0)) {
      throw new SluiceError(`${where}: each guard needs a metric and a "maxWorsening" >= 0, got ${JSON.stringify(g)}`, { code: 'BAD_GATE' });
    }
  }
  if (gate.maxPredictionDrift !== undefined && !(Number.isFinite(gate.maxPredictionDrift) && gate.maxPredictionDrift >= 0)) {
    throw new SluiceError(`${where}: "maxPredictionDrift" must be a number >= 0`, { code: 'BAD_GATE' });
  }
}

function value(metrics: Readonly<Record<string, number>>, metric: string, who: string): number {
  const v = metrics[metric];
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new SluiceError(`Promotion gate: the ${who} has no metric "${metric}" (it has ${Object.keys(metrics).join(', ') || 'none'})`, {
      code: 'BAD_GATE', hint: 'Gate on a metric the evaluation computes, e.g. auc, logLoss, accuracy for binary models; rmse, mae, r2 for regression.',
    });
  }
  return v;
}

/** Decides whether the challenger replaces the champion, and says why. */
export function decidePromotion(gate: PromotionGate, evidence: PromotionEvidence): PromotionDecision {
  validateGate(gate);
  const direction = gate.direction ?? metricDirection(gate.metric);
  const sign = direction === 'maximize' ? 1 : -1;
  const c = value(evidence.challenger, gate.metric, 'challenger');
  const base = { metric: gate.metric, direction, evidence };
  const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));
  if (evidence.champion === null) {
    return { ...base, promote: true, gain: null, reason: `no champion yet: the challenger becomes champion (${gate.metric} ${fmt(c)} on ${evidence.rows} rows)` };
  }
  const h = value(evidence.champion, gate.metric, 'champion');
  const gain = sign * (c - h);
  const minGain = gate.minGain ?? 0;
  const passes = minGain === 0 ? gain > 0 : gain >= minGain;
  if (!passes) {
    return { ...base, promote: false, gain, reason: `${gate.metric} ${fmt(c)} against the champion's ${fmt(h)} on the same ${evidence.rows} rows: a gain of ${fmt(gain)}, ${minGain === 0 ? 'not better' : `below the required ${fmt(minGain)}`}` };
  }
  for (const g of gate.guards ?? []) {
    const gs = (g.direction ?? metricDirection(g.metric)) === 'maximize' ? 1 : -1;
    const worsening = -gs * (value(evidence.challenger, g.metric, 'challenger') - value(evidence.champion, g.metric, 'champion'));
    if (worsening > g.maxWorsening) {
      return { ...base, promote: false, gain, reason: `${gate.metric} improves by ${fmt(gain)}, but ${g.metric} gets worse by ${fmt(worsening)}, more than the ${fmt(g.maxWorsening)} the gate allows` };
    }
  }
  if (gate.maxPredictionDrift !== undefined) {
    if (evidence.predictionDrift === undefined) {
      throw new SluiceError('Promotion gate: "maxPredictionDrift" is set but the prediction drift was not measured', { code: 'BAD_GATE', hint: 'Measure both models on the same rows (ctx.models.promote does) or drop the guard.' });
    }
    if (evidence.predictionDrift > gate.maxPredictionDrift) {
      return { ...base, promote: false, gain, reason: `${gate.metric} improves by ${fmt(gain)}, but the predictions drift by ${fmt(evidence.predictionDrift)} from the champion's, more than ${fmt(gate.maxPredictionDrift)}` };
    }
  }
  return { ...base, promote: true, gain, reason: `${gate.metric} ${fmt(c)} against the champion's ${fmt(h)} on the same ${evidence.rows} rows: a gain of ${fmt(gain)}${minGain ? ` (at least ${fmt(minGain)} required)` : ''}` };
}
