/**
 * Shared by the ONNX export tests: seeded training data with numeric, text and numeric-code
 * categorical columns; scoring rows with missing values, unseen categories and values exactly on
 * the trees' split edges; and a runner that scores rows through onnxruntime-web (wasm, in Node).
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import { Rng } from '../../../src/core/rng.ts';
import { Frame, numberColumn, stringColumn } from '../../../src/frame/frame.ts';

ort.env.wasm.numThreads = 1;

export const CITIES = ['Oslo', 'Lima', 'Pune', 'Kobe', 'Quito', 'Accra'];

/** n rows: x1, x2 (continuous), hour (integers 0..23), city (text), grade (integer codes 0..4), and labels. */
export function makeRows(n: number, seed: number, missing = 0.05): { frame: Frame; binary: string[]; value: Float64Array; klass: string[] } {
  const rng = new Rng(seed);
  const x1 = new Float64Array(n), x2 = new Float64Array(n), hour = new Float64Array(n), grade = new Float64Array(n);
  const city: (string | null)[] = [], binary: string[] = [], klass: string[] = [];
  const value = new Float64Array(n);
  const cityEffect = [0.8, -0.5, 0.3, -1.2, 0.1, 0.6];
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 4 - 2, b = rng.next() * 10, h = rng.int(24), c = rng.int(CITIES.length), gr = rng.int(5);
    x1[i] = rng.next() < missing ? NaN : a;
    x2[i] = rng.next() < missing ? NaN : b;
    hour[i] = h;
    grade[i] = gr;
    city.push(rng.next() < missing ? null : CITIES[c]!);
    const z = 1.5 * a - 0.2 * b + cityEffect[c]! + 0.3 * gr + (h > 17 ? 0.7 : 0) + (rng.next() - 0.5) * 1.5;
    binary.push(z > 0 ? 'late' : 'on-time');
    value[i] = 100 + 20 * z + rng.next();
    klass.push(z < -1 ? 'low' : z < 0.7 ? 'mid' : 'high');
  }
  const frame = new Frame([
    ['x1', numberColumn(x1)], ['x2', numberColumn(x2)], ['hour', numberColumn(hour, 'int')],
    ['city', stringColumn(city)], ['grade', numberColumn(grade, 'int')],
  ]);
  return { frame, binary, value, klass };
}

/** Scoring rows: fresh rows, plus rows with an unseen city, an unseen grade, all-missing values and given edge values. */
export function scoringRows(edges: Partial<Record<'x1' | 'x2' | 'hour', readonly number[]>> = {}): Frame {
  const { frame } = makeRows(300, 99, 0.1);
  const x1: number[] = [], x2: number[] = [], hour: number[] = [], grade: number[] = [], city: (string | null)[] = [];
  for (let r = 0; r < frame.numRows; r++) {
    x1.push(frame.numbers('x1')[r]!); x2.push(frame.numbers('x2')[r]!); hour.push(frame.numbers('hour')[r]!);
    grade.push(frame.numbers('grade')[r]!); city.push(frame.get(r, 'city') as string | null);
  }
  const add = (v: { x1?: number; x2?: number; hour?: number; grade?: number; city?: string | null }): void => {
    x1.push(v.x1 ?? 0.3); x2.push(v.x2 ?? 4); hour.push(v.hour ?? 9); grade.push(v.grade ?? 2); city.push(v.city === undefined ? 'Lima' : v.city);
  };
  add({ city: 'Atlantis' });
  add({ grade: 9 });
  add({ grade: NaN });
  add({ x1: NaN, x2: NaN, hour: NaN, grade: NaN, city: null });
  add({ x1: -1e9, x2: 1e9, hour: 1000 });
  for (const [name, list] of Object.entries(edges)) {
    for (const e of list) {
      add({ [name]: e });
      add({ [name]: e + Math.abs(e) * 1e-15 + 1e-300 });
    }
  }
  return new Frame([
    ['x1', numberColumn(x1)], ['x2', numberColumn(x2)], ['hour', numberColumn(hour, 'int')],
    ['city', stringColumn(city)], ['grade', numberColumn(grade, 'int')],
  ]);
}

/**
 * Runs an exported model on a Frame's columns: numbers as float64 [N,1], text as string [N,1]
 * (null fed as the empty string, the export's documented missing value). Returns the named output.
 */
export async function runOnnx(bytes: Uint8Array, frame: Frame, output: string): Promise<{ data: Float64Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const col = frame.column(name);
      if (col.kind === 'number') feeds[name] = new ort.Tensor('float64', Float64Array.from(col.values), [frame.numRows, 1]);
      else feeds[name] = new ort.Tensor('string', Array.from(col.codes, (c) => (c < 0 ? '' : col.dictionary[c]!)), [frame.numRows, 1]);
    }
    const result = await session.run(feeds);
    const t = result[output];
    assert.ok(t, `output "${output}" is in the graph (outputs: ${session.outputNames.join(', ')})`);
    assert.equal(t.type, 'float64', 'the export computes and answers in double');
    return { data: t.data as Float64Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

/** Largest |a - b|, failing on a length mismatch or a NaN on one side only. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of values');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    assert.ok(Number.isFinite(a[i]!) && Number.isFinite(b[i]!), `value ${i} is finite on both sides (${a[i]} vs ${b[i]})`);
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
  }
  return m;
}
