/** Shared checks of calibration inputs; errors name the row. */
import { DataError } from '../../core/errors.ts';

export function checkCalibrationInput(scores: ArrayLike<number>, labels: ArrayLike<number>, weights: ArrayLike<number> | undefined, who: string): number {
  const n = scores.length;
  if (labels.length !== n) throw new DataError(`${who}: ${n} scores but ${labels.length} labels`);
  if (weights && weights.length !== n) throw new DataError(`${who}: ${n} scores but ${weights.length} sample weights`);
  if (n === 0) throw new DataError(`${who}: no rows to calibrate on`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!)) throw new DataError(`${who}: the score at row ${i} is ${scores[i]}`, { context: { row: i }, hint: 'Calibrate on finite held-out scores (crossValPredict leaves NaN for rows in no test fold).' });
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new DataError(`${who}: the label at row ${i} is ${y}; calibration needs 0/1 labels`, { context: { row: i } });
    if (weights && !(weights[i]! >= 0)) throw new DataError(`${who}: the sample weight at row ${i} is ${weights[i]}`, { context: { row: i } });
  }
  return n;
}
