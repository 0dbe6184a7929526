/**
 * From a label column to what an estimator learns: the task and the label as numbers. Classes may be
 * text, booleans or numbers; they become codes 0..K-1 in the order of `classes` (default: sorted,
 * false before true), and the class names travel with the model so predictions can be read back as
 * names. The task is inferred only where the column leaves no doubt:
 * - text or boolean labels are classes (binary for two, multiclass for more);
 * - numbers with a fractional part are a quantity (regression);
 * - whole numbers (0/1, class codes, counts) could be either: an error asks for `task` by name.
 *
 * @example
 * const { task, y, classes } = encodeLabel(frame, 'species');  // text: multiclass, classes sorted
 * encodeLabel(frame, 'late', { task: 'binary' });               // 0/1 numbers need the task said
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import type { ClassLabel, Task } from './estimator.ts';

export interface EncodedLabel {
  task: Task;
  /** Regression: the values; classification: class codes 0..K-1 (indices into classes). */
  y: Float64Array;
  /** Classification: the class of each code; null for regression. */
  classes: ClassLabel[] | null;
}

export interface LabelOptions {
  task?: Task;
  /** The classes in code order (the positive class of a binary task last); each needs training rows. */
  classes?: readonly ClassLabel[];
}

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

function compareClasses(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The class label of a row, or null when missing. */
function rowClass(col: Column, i: number): ClassLabel | null {
  if (col.kind === 'string') { const c = col.codes[i]!; return c < 0 ? null : col.dictionary[c]!; }
  const v = col.values[i]!;
  if (Number.isNaN(v)) return null;
  return col.logical === 'bool' ? v !== 0 : v;
}

function missingLabel(label: string, row: number, value: string): DataError {
  return new DataError(`Label "${label}" is ${value} at row ${row}`, {
    code: 'BAD_LABEL', context: { column: label, row },
    hint: 'Filter or quarantine rows without a label before training (e.g. WHERE label IS NOT NULL, or an expectation).',
  });
}

/** The distinct classes of a label column, sorted; errors on a missing label. */
function distinctClasses(col: Column, label: string): ClassLabel[] {
  const seen = new Map<string, ClassLabel>();
  const n = col.kind === 'string' ? col.codes.length : col.values.length;
  for (let i = 0; i < n; i++) {
    const c = rowClass(col, i);
    if (c === null) throw missingLabel(label, i, 'missing');
    if (typeof c === 'number' && !Number.isFinite(c)) throw missingLabel(label, i, String(c));
    const key = `${typeof c}:${String(c)}`;
    if (!seen.has(key)) seen.set(key, c);
  }
  return [...seen.values()].sort(compareClasses);
}

function describeValues(classes: readonly ClassLabel[]): string {
  const shown = classes.slice(0, 6).map((c) => JSON.stringify(c)).join(', ');
  return classes.length > 6 ? `${shown}, ... (${classes.length} distinct)` : shown;
}

/** Infers or checks the task and codes the label column. */
export function encodeLabel(frame: Frame, label: string, options: LabelOptions = {}): EncodedLabel {
  if (!frame.has(label)) {
    throw new DataError(`Label column "${label}" is not in the training data (columns: ${frame.names.join(', ')})`, { code: 'BAD_LABEL', context: { column: label } });
  }
  if (options.task !== undefined && !TASKS.includes(options.task)) {
    throw new DataError(`task must be one of ${TASKS.map((t) => `'${t}'`).join(', ')}, got ${JSON.stringify(options.task)}`, { context: { option: 'task' } });
  }
  const col = frame.column(label);
  if (options.task === 'regression') {
    if (col.kind === 'string') {
      throw new DataError(`Label "${label}" is a text column; regression needs a numeric label`, {
        code: 'BAD_LABEL', context: { column: label },
        hint: `If its values are classes, use task: 'binary' or 'multiclass' (or leave task out); if they are numbers stored as text, cast it in SQL (CAST("${label}" AS DOUBLE)).`,
      });
    }
    const y = col.values;
    for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw missingLabel(label, i, Number.isNaN(y[i]!) ? 'missing' : String(y[i]));
    return { task: 'regression', y, classes: null };
  }
  const found = distinctClasses(col, label);
  let task = options.task;
  if (task === undefined) {
    if (col.kind === 'number' && col.logical !== 'bool') {
      if (found.some((v) => !Number.isInteger(v))) return encodeLabel(frame, label, { ...options, task: 'regression' });
      const binaryLooking = found.length <= 2;
      throw new DataError(`Label "${label}" holds whole numbers (${describeValues(found)}): they could be classes or a quantity, so the task must be given`, {
        code: 'TASK_NEEDED', context: { column: label },
        hint: binaryLooking
          ? `Add task: 'binary' to trainModel's options if ${describeValues(found)} are two classes, or task: 'regression' if "${label}" is a quantity. (A boolean label, e.g. delay > 15 in SQL, is binary without asking.)`
          : `Add task: 'multiclass' to trainModel's options if these are class codes, or task: 'regression' if "${label}" is a count or amount.`,
      });
    }
    task = found.length > 2 ? 'multiclass' : 'binary';
  }
  let classes: ClassLabel[];
  if (options.classes !== undefined) {
    classes = [...options.classes];
    const declared = new Set(classes.map(matchKey));
    if (declared.size !== classes.length) throw new DataError(`classes lists a class twice: ${describeValues(classes)}`, { context: { option: 'classes' } });
    const present = new Set(found.map(matchKey));
    const stray = found.find((c) => !declared.has(matchKey(c)));
    if (stray !== undefined) {
      const n = col.kind === 'string' ? col.codes.length : col.values.length;
      let row = 0;
      for (; row < n; row++) { const c = rowClass(col, row); if (c !== null && matchKey(c) === matchKey(stray)) break; }
      throw new DataError(`Label "${label}" is ${JSON.stringify(stray)} at row ${row}, which is not among the declared classes (${describeValues(classes)})`, {
        code: 'BAD_LABEL', context: { column: label, row, value: String(stray) }, hint: 'Add it to `classes`, or filter those rows out before training.',
      });
    }
    const absent = classes.filter((c) => !present.has(matchKey(c)));
    if (absent.length > 0) {
      throw new DataError(`Declared class${absent.length > 1 ? 'es' : ''} ${describeValues(absent)} of label "${label}" ha${absent.length > 1 ? 've' : 's'} no training rows`, {
        code: 'ABSENT_CLASS', context: { column: label },
        hint: 'A class without training rows cannot be learned: drop it from `classes`, or train on rows that include it.',
      });
    }
  } else {
    classes = col.kind === 'number' && col.logical === 'bool' && task !== 'multiclass' ? [false, true] : found;
  }
  if (task === 'binary' && classes.length !== 2) {
    throw new DataError(`Label "${label}" has ${classes.length} class${classes.length === 1 ? '' : 'es'} (${describeValues(classes)}); a binary task needs exactly two`, {
      code: 'BAD_LABEL', context: { column: label },
      hint: classes.length > 2 ? "Use task: 'multiclass' (or leave task out for text labels)." : 'Both classes need training rows: check the filter applied before training.',
    });
  }
  if (task === 'multiclass' && classes.length < 2) {
    throw new DataError(`Label "${label}" has only the class ${describeValues(classes)}; classification needs at least two`, { code: 'BAD_LABEL', context: { column: label } });
  }
  return { task, y: codeLabels(col, label, classes), classes };
}

/** Booleans match the numbers 0 and 1 (a label read as BOOLEAN one day and 0/1 the next is the same label). */
function matchKey(c: ClassLabel): string {
  return typeof c === 'boolean' ? `number:${c ? 1 : 0}` : `${typeof c}:${String(c)}`;
}

/** Codes a label column onto known classes (e.g. validation or test rows); an unknown class is an error naming its row. */
export function codeLabels(col: Column, label: string, classes: readonly ClassLabel[]): Float64Array {
  const index = new Map(classes.map((c, k) => [matchKey(c), k]));
  const n = col.kind === 'string' ? col.codes.length : col.values.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = rowClass(col, i);
    if (c === null) throw missingLabel(label, i, 'missing');
    const k = index.get(matchKey(c));
    if (k === undefined) {
      throw new DataError(`Label "${label}" is ${JSON.stringify(c)} at row ${i}, a class the model does not know (classes: ${describeValues(classes)})`, {
        code: 'BAD_LABEL', context: { column: label, row: i, value: String(c) }, hint: 'Filter those rows out, or retrain with rows of that class.',
      });
    }
    y[i] = k;
  }
  return y;
}

/**
 * The task of a bare label array, for the class APIs that take one (RandomForest): 0/1 labels are
 * binary (their documented default), labels with a fractional part regression, and other whole
 * numbers, class codes or counts alike, an error asking for the task.
 */
export function inferTaskOfNumbers(y: Float64Array, who: string): Task {
  let binary = true;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) continue; // the label check names it
    if (!Number.isInteger(v)) return 'regression';
    if (v !== 0 && v !== 1) binary = false;
  }
  if (binary) return 'binary';
  throw new DataError(`${who}: the labels are whole numbers other than 0 and 1: class codes or a count, so the task must be given`, {
    code: 'TASK_NEEDED', hint: "Pass task: 'multiclass' for class codes 0..K-1, or task: 'regression' for a quantity.",
  });
}
