/**
 * Successive halving, as scikit-learn's HalvingRandomSearchCV: many candidates get a small budget,
 * the best 1/factor of them go on to a budget `factor` times larger, and so on until one round is
 * left or the budget reaches its maximum. The budget (`resource`) is whatever the evaluation function
 * reads it as: training rows, boosting rounds, epochs. Rounds, budgets and kept counts follow
 * scikit-learn: rounds = min(1 + floor(log_f(candidates)), 1 + floor(log_f(max / min))), budget of
 * round i = min * factor^i (capped at max; whole numbers when min and max are), keep ceil(n / factor).
 *
 * @example
 * const result = await successiveHalving({
 *   space: { learningRate: logUniform(0.02, 0.3), maxDepth: intRange(3, 8) }, candidates: 27, seed: 1,
 *   minResource: 1000, maxResource: 27000, factor: 3,
 *   evaluate: (params, { resource, seed }) => scoreOnRows(params, resource!, seed),
 * });
 */
import { SluiceError } from '../../core/errors.ts';
import { Evaluator, type CandidateResult, type EvaluatorOptions } from './evaluator.ts';
import { sampleCandidates, type Params, type SearchSpace } from './param-space.ts';
import { candidateSeeds, type SearchResult } from './random-search.ts';

export interface SuccessiveHalvingOptions extends EvaluatorOptions {
  space: SearchSpace;
  /** Candidates of the first round (default: maxResource / minResource, scikit-learn's 'exhaust'). */
  candidates?: number;
  seed?: number;
  /** Budget of the first round, > 0. */
  minResource: number;
  /** Budget never exceeded. */
  maxResource: number;
  /** Kept fraction 1/factor and budget growth per round (default 3, > 1). */
  factor?: number;
}

export interface HalvingRound {
  round: number;
  resource: number;
  /** Candidates evaluated in this round. */
  candidates: number[];
}

export interface HalvingResult extends SearchResult {
  rounds: HalvingRound[];
}

export async function successiveHalving(options: SuccessiveHalvingOptions): Promise<HalvingResult> {
  const factor = options.factor ?? 3;
  const { minResource, maxResource } = options;
  if (!(factor > 1)) throw new SluiceError(`successive halving: factor must be > 1, got ${factor}`, { code: 'BAD_SEARCH' });
  if (!(minResource > 0) || !(maxResource >= minResource) || !Number.isFinite(maxResource)) {
    throw new SluiceError(`successive halving: needs 0 < minResource <= maxResource, got ${minResource} and ${maxResource}`, { code: 'BAD_SEARCH' });
  }
  const seed = options.seed ?? 0;
  const nFirst = options.candidates ?? Math.floor(maxResource / minResource);
  const params = sampleCandidates(options.space, nFirst, { seed });
  const seeds = candidateSeeds(seed, params.length);
  const logF = (x: number): number => Math.log(x) / Math.log(factor);
  // A tiny epsilon keeps exact powers (27 candidates, factor 3) from rounding one round short.
  const required = 1 + Math.floor(logF(params.length) + 1e-9);
  const possible = 1 + Math.floor(logF(maxResource / minResource) + 1e-9);
  const nRounds = Math.min(required, possible);
  const whole = Number.isInteger(minResource) && Number.isInteger(maxResource);

  const evaluator = new Evaluator(options, params.length);
  const results: CandidateResult[] = [];
  const rounds: HalvingRound[] = [];
  try {
    let alive = params.map((p, i) => ({ i, p }));
    for (let round = 0; round < nRounds; round++) {
      let resource = Math.min(minResource * factor ** round, maxResource);
      if (whole) resource = Math.floor(resource);
      const got = await evaluator.run(alive.map(({ i, p }) => ({ candidate: i, params: p as Params, context: { candidate: i, seed: seeds[i]!, round, resource } })));
      results.push(...got);
      rounds.push({ round, resource, candidates: alive.map((a) => a.i) });
      if (round === nRounds - 1) break;
      const keep = Math.ceil(alive.length / factor);
      const kept = new Set([...got].sort((a, b) => evaluator.better(a, b)).slice(0, keep).map((r) => r.candidate));
      alive = alive.filter((a) => kept.has(a.i));
    }
    const last = results.filter((r) => r.round === rounds[rounds.length - 1]!.round);
    const best = last.sort((a, b) => evaluator.better(a, b))[0]!;
    return { best, results, rounds };
  } finally {
    await evaluator.close();
  }
}
