/**
 * Composition by column, as scikit-learn's ColumnTransformer: each part fits its own transformer (or
 * chain of transformers) on its own columns of the training rows; the output is every part's output
 * columns side by side, in part order, then the remaining columns when `remainder: 'passthrough'`.
 * Output names are the parts' own (`prefixNames` gives scikit-learn's `<part>__<column>`); two parts
 * writing the same name is an error naming both.
 *
 * Each fit function sees the whole training frame (so a target encoder can read the label column)
 * and the part's columns. Fitting uses each step's training output, so an out-of-fold target
 * encoding feeds the steps after it, never the in-sample one.
 *
 * @example
 * const ct = fitColumnTransformer(train, [
 *   { name: 'num', columns: ['bill', 'mass'], fit: [(f, c) => fitImputer(f, c, { strategy: 'median' }), fitStandardScaler] },
 *   { name: 'cat', columns: ['island'], fit: (f, c) => fitOneHotEncoder(f, c, { handleUnknown: 'ignore' }) },
 * ], { remainder: 'drop' });
 * ct.transform(test).names; // ['bill', 'mass', 'island_Biscoe', 'island_Dream', 'island_Torgersen']
 */
import { DataError } from '../core/errors.ts';
import { Frame, type Column } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, requireColumn } from './columns.ts';
import { FeaturePipeline } from './feature-pipeline.ts';
import { isFitted, loadTransformer, registerTransformer, transformerOutputs, type Fitted, type FittedTransformer, type TransformerFit } from './transformer.ts';

export interface ColumnPart {
  name: string;
  columns: readonly string[];
  /** 'passthrough' keeps the columns unchanged, 'drop' leaves them out; else one fit function or a chain. */
  fit: 'passthrough' | 'drop' | TransformerFit | readonly TransformerFit[];
}

export interface ColumnTransformerOptions {
  /** Columns in no part: 'drop' (default, as scikit-learn) or 'passthrough'. */
  remainder?: 'drop' | 'passthrough';
  /** Name outputs `<part>__<column>` (scikit-learn's verbose_feature_names_out). Default false. */
  prefixNames?: boolean;
  /** Columns never passed through as remainder, such as the label. */
  exclude?: readonly string[];
}

/** A fitted part: its transformer (null for passthrough) and the columns it contributes, before prefixing. */
export interface FittedColumnPart {
  readonly name: string;
  readonly columns: readonly string[];
  readonly transformer: FittedTransformer | null;
  readonly outputs: readonly string[];
}

export class ColumnTransformer implements FittedTransformer {
  readonly type = 'column-transformer';
  readonly parts: readonly FittedColumnPart[];
  /** Columns passed through after the parts. */
  readonly remainder: readonly string[];
  readonly prefixNames: boolean;

  constructor(parts: readonly FittedColumnPart[], remainder: readonly string[], prefixNames: boolean) {
    this.parts = parts; this.remainder = remainder; this.prefixNames = prefixNames;
  }

  get inputs(): readonly string[] {
    return [...new Set([...this.parts.flatMap((p) => p.transformer ? p.transformer.inputs : p.columns), ...this.remainder])];
  }

  get outputs(): readonly string[] {
    return [
      ...this.parts.flatMap((p) => p.outputs.map((o) => this.outputName(p.name, o))),
      ...this.remainder.map((r) => this.outputName('remainder', r)),
    ];
  }

  private outputName(part: string, column: string): string {
    return this.prefixNames ? `${part}__${column}` : column;
  }

  transform(frame: Frame): Frame {
    return this.assemble(frame, this.parts.map((p) => (p.transformer ? p.transformer.transform(frame) : frame)));
  }

  /** Output frame from each part's transformed frame. */
  assemble(frame: Frame, partFrames: readonly Frame[]): Frame {
    const cols: [string, Column][] = [];
    this.parts.forEach((p, k) => {
      const f = partFrames[k]!;
      for (const o of p.outputs) cols.push([this.outputName(p.name, o), requireColumn(f, o, `column-transformer part "${p.name}"`)]);
    });
    for (const r of this.remainder) cols.push([this.outputName('remainder', r), requireColumn(frame, r, 'column-transformer remainder')]);
    return new Frame(cols);
  }

  toJSON(): { type: string; state: Json } {
    return {
      type: this.type,
      state: {
        parts: this.parts.map((p) => ({ name: p.name, columns: [...p.columns], transformer: p.transformer ? p.transformer.toJSON() : null, outputs: [...p.outputs] })),
        remainder: [...this.remainder],
        prefixNames: this.prefixNames,
      },
    };
  }
}

/** Fits every part and returns the column transformer with the transformed training rows. */
export function fitTransformColumnTransformer(frame: Frame, parts: readonly ColumnPart[], options: ColumnTransformerOptions = {}): Fitted<ColumnTransformer> {
  return fitParts(frame, parts, options, true) as Fitted<ColumnTransformer>;
}

/** Fits every part on the training rows (see fitTransformColumnTransformer). */
export function fitColumnTransformer(frame: Frame, parts: readonly ColumnPart[], options: ColumnTransformerOptions = {}): ColumnTransformer {
  return fitParts(frame, parts, options, false).transformer;
}

function fitParts(frame: Frame, parts: readonly ColumnPart[], options: ColumnTransformerOptions, wantOutput: boolean): { transformer: ColumnTransformer; output?: Frame } {
  checkDistinct(parts.map((p) => p.name), 'column-transformer part names');
  const fittedParts: FittedColumnPart[] = [];
  const partFrames: Frame[] = [];
  for (const part of parts) {
    checkDistinct(part.columns, `column-transformer part "${part.name}"`);
    for (const c of part.columns) requireColumn(frame, c, `column-transformer part "${part.name}"`);
    if (part.fit === 'drop') continue;
    if (part.fit === 'passthrough') {
      fittedParts.push({ name: part.name, columns: [...part.columns], transformer: null, outputs: [...part.columns] });
      partFrames.push(frame);
      continue;
    }
    const chain: readonly TransformerFit[] = typeof part.fit === 'function' ? [part.fit] : part.fit;
    if (chain.length === 0) throw new DataError(`column-transformer part "${part.name}" has an empty chain`, { hint: "Give a fit function, or 'passthrough' / 'drop'." });
    let f = frame;
    let cols: readonly string[] = part.columns;
    const fitted: FittedTransformer[] = [];
    chain.forEach((fit, s) => {
      const r = fit(f, cols);
      const t = isFitted(r) ? r.transformer : r;
      // The next step (and the training output) must see this step's training output.
      if (s < chain.length - 1 || wantOutput) f = isFitted(r) ? r.output : t.transform(f);
      cols = transformerOutputs(t);
      fitted.push(t);
    });
    const transformer = fitted.length === 1 ? fitted[0]! : new FeaturePipeline(fitted, cols);
    fittedParts.push({ name: part.name, columns: [...part.columns], transformer, outputs: [...cols] });
    partFrames.push(f);
  }
  const used = new Set(parts.flatMap((p) => p.columns));
  const excluded = new Set(options.exclude ?? []);
  const remainder = options.remainder === 'passthrough' ? frame.names.filter((n) => !used.has(n) && !excluded.has(n)) : [];
  const ct = new ColumnTransformer(fittedParts, remainder, options.prefixNames ?? false);
  checkOutputNames(ct);
  return wantOutput ? { transformer: ct, output: ct.assemble(frame, partFrames) } : { transformer: ct };
}

function checkOutputNames(ct: ColumnTransformer): void {
  const owner = new Map<string, string>();
  const sources: [string, string][] = [
    ...ct.parts.flatMap((p) => p.outputs.map((o) => [p.name, o] as [string, string])),
    ...ct.remainder.map((r) => ['remainder', r] as [string, string]),
  ];
  const outputs = ct.outputs;
  sources.forEach(([part], k) => {
    const name = outputs[k]!;
    const first = owner.get(name);
    if (first !== undefined) {
      throw new DataError(`column-transformer: output column "${name}" comes from both "${first}" and "${part}"`, {
        context: { column: name }, hint: 'Set prefixNames: true to name outputs <part>__<column>, or give the parts disjoint outputs.',
      });
    }
    owner.set(name, part);
  });
}

registerTransformer('column-transformer', (state) => {
  const s = state as { parts: { name: string; columns: string[]; transformer: { type: string; state: Json } | null; outputs: string[] }[]; remainder: string[]; prefixNames: boolean };
  return new ColumnTransformer(
    s.parts.map((p) => ({ name: p.name, columns: p.columns, transformer: p.transformer ? loadTransformer(p.transformer) : null, outputs: p.outputs })),
    s.remainder, s.prefixNames,
  );
});
