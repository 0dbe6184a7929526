/**
 * Random hyperparameter search: `candidates` parameter sets drawn from the space with the seed, each
 * scored by the evaluation function (typically a cross-validation), in parallel. Returns every
 * result and the best (ties go to the earlier candidate).
 *
 * @example
 * const result = await randomSearch({
 *   space: { C: logUniform(1e-3, 1e2) }, candidates: 30, seed: 1,
 *   evaluate: async (params, { seed }) => (await crossValidate(kFold(n, { k: 5, shuffle: true, seed }), cvFor(params))).mean.score,
 * });
 * result.best.params; // { C: ... }
 */
import { Rng } from '../../core/rng.ts';
import { Evaluator, type CandidateResult, type EvaluatorOptions } from './evaluator.ts';
import { sampleCandidates, type SearchSpace } from './param-space.ts';

export interface RandomSearchOptions extends EvaluatorOptions {
  space: SearchSpace;
  /** Number of candidates (default 10). */
  candidates?: number;
  /** Seed of the sampling and of each candidate's own seed (default 0). */
  seed?: number;
}

export interface SearchResult {
  best: CandidateResult;
  /** Every evaluation, in candidate order (successive halving: round by round). */
  results: CandidateResult[];
}

export async function randomSearch(options: RandomSearchOptions): Promise<SearchResult> {
  const seed = options.seed ?? 0;
  const params = sampleCandidates(options.space, options.candidates ?? 10, { seed });
  const seeds = candidateSeeds(seed, params.length);
  const evaluator = new Evaluator(options, params.length);
  try {
    const results = await evaluator.run(params.map((p, i) => ({ candidate: i, params: p, context: { candidate: i, seed: seeds[i]!, round: 0 } })));
    const best = [...results].sort((a, b) => evaluator.better(a, b))[0]!;
    return { best, results };
  } finally {
    await evaluator.close();
  }
}

/** One seed per candidate, independent of how many candidates there are and of the order they run in. */
export function candidateSeeds(seed: number, n: number): number[] {
  const rng = new Rng(seed ^ 0x5eed5eed);
  return Array.from({ length: n }, () => rng.nextUint32());
}
