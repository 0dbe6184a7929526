/**
 * When to retrain: a pipeline states the policy, a step asks it with this batch's drift report and
 * performance, and gets a yes or no with the reasons (kept in the step's output and log).
 *
 * @example
 * const policy: RetrainPolicy = { driftShare: 0.3, features: { distance: 0.2 }, performance: { metric: 'auc', baseline: 0.68, maxDrop: 0.02 } };
 * const { retrain, reasons } = shouldRetrain(policy, { drift: report, performance: { auc: 0.65 } });
 */
import { SluiceError } from '../core/errors.ts';
import { metricDirection } from '../registry/gate.ts';
import type { DataDriftReport } from './drift.ts';

export interface RetrainPolicy {
  /** Retrain when at least this share of the tested columns drifted (default: the report's own dataset verdict). */
  driftShare?: number;
  /** Per-feature thresholds on the drift statistic (distance methods) that trigger a retrain on their own. */
  features?: Record<string, number>;
  /** Retrain when the model's metric on labelled recent rows dropped more than `maxDrop` below `baseline`. */
  performance?: { metric: string; baseline: number; maxDrop: number };
  /** Retrain every time, whatever the evidence (a fixed schedule). */
  always?: boolean;
}

export interface RetrainDecision { retrain: boolean; reasons: string[] }

export function shouldRetrain(policy: RetrainPolicy, evidence: { drift?: DataDriftReport; performance?: Record<string, number> }): RetrainDecision {
  const reasons: string[] = [];
  if (policy.always) reasons.push('the policy retrains on every run');
  const drift = evidence.drift;
  if (drift) {
    const share = drift.testedColumns === 0 ? 0 : drift.driftedColumns / drift.testedColumns;
    if (policy.driftShare !== undefined ? share >= policy.driftShare : drift.drifted) {
      reasons.push(`${drift.driftedColumns} of ${drift.testedColumns} features drifted (share ${share.toFixed(2)} >= ${(policy.driftShare ?? drift.driftShare).toFixed(2)})`);
    }
    for (const [feature, threshold] of Object.entries(policy.features ?? {})) {
      const f = drift.features.find((x) => x.feature === feature);
      if (!f) {
        throw new SluiceError(`Retrain policy names feature "${feature}", which the drift report does not have (it has ${drift.features.map((x) => x.feature).join(', ')})`, {
          code: 'BAD_POLICY', hint: 'Name features the drift step compares.',
        });
      }
      if (f.statistic >= threshold) reasons.push(`${feature} drifted: ${f.method} ${f.statistic.toFixed(4)} >= ${threshold}`);
    }
  } else if (policy.driftShare !== undefined || policy.features) {
    throw new SluiceError('Retrain policy looks at drift, but no drift report was given', { code: 'BAD_POLICY', hint: 'Pass the batch\'s drift report (dataDrift or ctx.monitor.drift).' });
  }
  if (policy.performance) {
    const { metric, baseline, maxDrop } = policy.performance;
    // Labels arrive late: a batch without a measurement yet is no reason to retrain.
    const value = evidence.performance?.[metric];
    if (value !== undefined) {
      const drop = metricDirection(metric) === 'maximize' ? baseline - value : value - baseline;
      if (drop > maxDrop) reasons.push(`${metric} ${value.toFixed(4)} is ${drop.toFixed(4)} worse than the baseline ${baseline.toFixed(4)} (more than ${maxDrop})`);
    }
  }
  return { retrain: reasons.length > 0, reasons };
}
