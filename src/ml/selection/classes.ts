/** Class labels numbered by first appearance, with counts: the input of every stratified splitter. */
import { DataError } from '../../core/errors.ts';

export function classCodes(labels: ArrayLike<number>, who: string): { codes: Int32Array; nClasses: number; counts: Int32Array } {
  const index = new Map<number, number>();
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (Number.isNaN(v)) throw new DataError(`${who}: the label is missing at row ${i}`, { context: { row: i }, hint: 'Stratify on a label without missing values.' });
    let c = index.get(v);
    if (c === undefined) { c = index.size; index.set(v, c); }
    codes[i] = c;
  }
  const counts = new Int32Array(index.size);
  for (let i = 0; i < codes.length; i++) counts[codes[i]!]!++;
  return { codes, nClasses: index.size, counts };
}
