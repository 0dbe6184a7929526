/**
 * The one way tests read reference data: golden files (`test/golden/<name>.json`, written once by the
 * Python generators beside them) and the real data sets they were computed on (`test/golden/data/`,
 * copied from scikit-learn 1.2.1's `sklearn/datasets/data`, see the README there). Everything is inside
 * the repository: no test may depend on Python, scikit-learn or any other file outside it and
 * `node_modules` (test/repo-only.test.ts checks the test sources for such paths).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const goldenDir = resolve(import.meta.dirname, '../golden');
const dataDir = join(goldenDir, 'data');

/**
 * A golden file, parsed: `goldenJson<T>('gbdt')` reads test/golden/gbdt.json. `reviver` is JSON.parse's
 * (e.g. to turn the string "Infinity", which JSON cannot hold, back into a number).
 */
export function goldenJson<T = unknown>(name: string, reviver?: (key: string, value: unknown) => unknown): T {
  return JSON.parse(readFileSync(join(goldenDir, `${name}.json`), 'utf8'), reviver) as T;
}

/** A numeric data set: feature rows and the target (a class index or a value). */
export interface NumericDataset { x: number[][]; y: number[] }

/** The data sets in test/golden/data, by the name scikit-learn's `load_<name>` gives them. */
export type DatasetName = 'breast_cancer' | 'iris' | 'wine' | 'digits' | 'diabetes' | 'boston';

/** Loads one of the data sets as scikit-learn's `load_<name>(return_X_y=True)` returns it. */
export function loadDataset(name: DatasetName): NumericDataset {
  switch (name) {
    // scikit-learn's CSV layout: a line "n_samples,n_features,<class names>", then rows with the target last.
    case 'breast_cancer': return targetLast(rows(text('breast_cancer.csv.gz'), /,/, 1));
    case 'iris': return targetLast(rows(text('iris.csv.gz'), /,/, 1));
    case 'wine': return targetLast(rows(text('wine_data.csv.gz'), /,/, 1));
    // Boston has a second header line: the column names.
    case 'boston': return targetLast(rows(text('boston_house_prices.csv.gz'), /,/, 2));
    // Digits: no header, 64 pixel values then the digit.
    case 'digits': return targetLast(rows(text('digits.csv.gz'), /,/, 0));
    // Diabetes: raw (unscaled) features and the target in two whitespace-separated files.
    case 'diabetes': return {
      x: rows(text('diabetes_data_raw.csv.gz'), /\s+/, 0),
      y: rows(text('diabetes_target.csv.gz'), /\s+/, 0).map((r) => r[0]!),
    };
  }
}

function text(file: string): string {
  return gunzipSync(readFileSync(join(dataDir, file))).toString('utf8');
}

function rows(content: string, sep: RegExp, headerLines: number): number[][] {
  const lines = content.split('\n').filter((l) => l.trim() !== '').slice(headerLines);
  return lines.map((line, i) => {
    const values = line.trim().split(sep).map(Number);
    const bad = values.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) throw new Error(`test data: line ${i + headerLines + 1}, field ${bad + 1} is not a number: ${JSON.stringify(line.slice(0, 80))}`);
    return values;
  });
}

function targetLast(r: number[][]): NumericDataset {
  return { x: r.map((row) => row.slice(0, -1)), y: r.map((row) => row[row.length - 1]!) };
}
