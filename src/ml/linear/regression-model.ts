/**
 * The fitted linear regression shared by ridge and elastic net: y ≈ intercept + X·coef.
 */
import { DataError, SluiceError } from '../../core/errors.ts';
import { addLinearPredictor, checkSchema, coefficientCount, type DesignMatrix, type DesignSchema } from './design.ts';
import { isRecord, numberArray, readFitInfo, readSchema, type FitInfo } from './problem.ts';

export interface LinearRegressionJSON {
  format: 'sluice.linear-regression';
  version: 1;
  schema: DesignSchema;
  coef: number[];
  intercept: number;
  options: { method: 'ridge' | 'elasticnet'; alpha: number; l1Ratio: number; fitIntercept: boolean };
  fit: FitInfo;
}

/**
 * @example
 * const m = fitRidge(X, y, { alpha: 1 });
 * m.predict(Xnew); m.coef; m.intercept; m.fitInfo.converged;
 */
export class LinearRegressionModel {
  constructor(
    readonly schema: DesignSchema,
    /** One coefficient per coefficientNames(schema) entry. */
    readonly coef: Float64Array,
    readonly intercept: number,
    readonly options: LinearRegressionJSON['options'],
    readonly fitInfo: FitInfo,
  ) {}

  /**
   * Predicted values. Category codes outside the fitted range (-1, unseen) contribute zero.
   *
   * @example
   * rmse(y, model.predict(X));
   */
  predict(X: DesignMatrix): Float64Array {
    checkSchema(X, this.schema, 'LinearRegressionModel.predict');
    const out = new Float64Array(X.rows).fill(this.intercept);
    addLinearPredictor(X, this.schema, this.coef, 0, out, 1, 0);
    return out;
  }

  /** Plain JSON-safe object (JSON.stringify calls it); numbers round-trip exactly. */
  toJSON(): LinearRegressionJSON {
    return {
      format: 'sluice.linear-regression',
      version: 1,
      schema: this.schema,
      coef: Array.from(this.coef),
      intercept: this.intercept,
      options: this.options,
      fit: this.fitInfo,
    };
  }

  /**
   * Rebuilds a model from toJSON() output.
   *
   * @example
   * const copy = LinearRegressionModel.fromJSON(JSON.parse(JSON.stringify(model)));
   */
  static fromJSON(json: unknown): LinearRegressionModel {
    const where = 'LinearRegressionModel.fromJSON';
    if (!isRecord(json) || json.format !== 'sluice.linear-regression' || json.version !== 1) {
      throw new SluiceError(`${where}: not a serialized linear regression (format 'sluice.linear-regression', version 1)`, { hint: 'Pass the object produced by toJSON().' });
    }
    const schema = readSchema(json, where);
    const coef = numberArray(json, 'coef', where, coefficientCount(schema));
    const o = json.options;
    if (typeof json.intercept !== 'number' || !isRecord(o) || (o.method !== 'ridge' && o.method !== 'elasticnet')
      || typeof o.alpha !== 'number' || typeof o.l1Ratio !== 'number' || typeof o.fitIntercept !== 'boolean') {
      throw new DataError(`${where}: field 'intercept' or 'options' is missing or malformed`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
    }
    return new LinearRegressionModel(schema, coef, json.intercept, { method: o.method, alpha: o.alpha, l1Ratio: o.l1Ratio, fitIntercept: o.fitIntercept }, readFitInfo(json, where));
  }
}

/** Checks the regression target: one finite value per row. */
export function checkTarget(where: string, y: Float64Array, rows: number): void {
  if (y.length !== rows) {
    throw new DataError(`${where}: y has ${y.length} values but the design has ${rows} rows`, { hint: 'Pass one target value per row.', context: { argument: 'y' } });
  }
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v - v !== 0) {
      throw new DataError(`${where}: y[${i}] is ${v}; the target must be finite`, { hint: 'Drop the rows with a missing target before fitting.', context: { argument: 'y', row: i } });
    }
  }
}
