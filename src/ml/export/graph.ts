/**
 * A small ONNX graph builder over onnx-proto's generated protobuf code: typed inputs and outputs,
 * initializers (little-endian raw data), nodes with attributes, and the encoded ModelProto. The
 * family exporters (trees.ts, linear.ts) and the feature part (features.ts) only ever call this.
 *
 * Opsets: ONNX 21 and ai.onnx.ml 5 (IR version 10), the first pair with the unified TreeEnsemble
 * operator that splits and sums in double and tests set membership (BRANCH_MEMBER), and with
 * LabelEncoder 4 (double keys and values).
 *
 * @example
 * const g = new GraphBuilder('model');
 * const x = g.input('x', 'double', [null, 1]);
 * const y = g.node('Add', [x, g.constant('one', 'double', [1], [1])]);
 * g.output(y, 'y', 'double', [null, 1]);
 * const bytes = g.encode({ producer: 'sluice' });
 */
import onnx from 'onnx-proto';

const O = onnx.onnx;

export const IR_VERSION = 10;
export const ONNX_OPSET = 21;
export const ML_OPSET = 5;
export const ML_DOMAIN = 'ai.onnx.ml';

export type ElemType = 'double' | 'float' | 'int64' | 'string' | 'uint8' | 'bool';

const ELEM: Record<ElemType, number> = {
  float: O.TensorProto.DataType.FLOAT,
  uint8: O.TensorProto.DataType.UINT8,
  int64: O.TensorProto.DataType.INT64,
  string: O.TensorProto.DataType.STRING,
  bool: O.TensorProto.DataType.BOOL,
  double: O.TensorProto.DataType.DOUBLE,
};

/** An attribute value: numbers are ints when `int` says so, a tensor when given one. */
export type AttributeValue =
  | { int: number } | { ints: readonly number[] } | { float: number } | { floats: readonly number[] }
  | { string: string } | { strings: readonly string[] } | { tensor: onnx.onnx.ITensorProto };

/** A tensor's data: numbers (stored raw, little-endian) or strings. */
export function tensor(type: ElemType, dims: readonly number[], values: ArrayLike<number> | readonly string[], name = ''): onnx.onnx.ITensorProto {
  const t: onnx.onnx.ITensorProto = { name, dims: [...dims], dataType: ELEM[type] };
  if (type === 'string') {
    t.stringData = (values as readonly string[]).map((s) => Buffer.from(s, 'utf8'));
    return t;
  }
  const n = values.length;
  const nums = values as ArrayLike<number>;
  let raw: Buffer;
  switch (type) {
    case 'double': raw = Buffer.alloc(8 * n); for (let i = 0; i < n; i++) raw.writeDoubleLE(nums[i]!, 8 * i); break;
    case 'float': raw = Buffer.alloc(4 * n); for (let i = 0; i < n; i++) raw.writeFloatLE(nums[i]!, 4 * i); break;
    case 'int64': raw = Buffer.alloc(8 * n); for (let i = 0; i < n; i++) raw.writeBigInt64LE(BigInt(nums[i]!), 8 * i); break;
    case 'uint8': case 'bool': raw = Buffer.from(Uint8Array.from(nums)); break;
  }
  t.rawData = raw;
  return t;
}

function attribute(name: string, v: AttributeValue): onnx.onnx.IAttributeProto {
  const A = O.AttributeProto.AttributeType;
  if ('int' in v) return { name, type: A.INT, i: v.int };
  if ('ints' in v) return { name, type: A.INTS, ints: [...v.ints] };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: A.FLOATS, floats: [...v.floats] };
  if ('string' in v) return { name, type: A.STRING, s: Buffer.from(v.string, 'utf8') };
  if ('strings' in v) return { name, type: A.STRINGS, strings: v.strings.map((s) => Buffer.from(s, 'utf8')) };
  return { name, type: A.TENSOR, t: v.tensor };
}

function valueInfo(name: string, type: ElemType, shape: readonly (number | string | null)[]): onnx.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d ?? 'N' })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly #name: string;
  readonly #nodes: onnx.onnx.INodeProto[] = [];
  readonly #initializers: onnx.onnx.ITensorProto[] = [];
  readonly #inputs: onnx.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnx.onnx.IValueInfoProto[] = [];
  readonly #used = new Set<string>();
  #next = 0;

  constructor(name: string) { this.#name = name; }

  /** A fresh value name that no input, output or earlier value has. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}__${this.#next++}`; while (this.#used.has(name));
    this.#used.add(name);
    return name;
  }

  /** A graph input (a null dimension is the batch, N). Its name is the caller's. */
  input(name: string, type: ElemType, shape: readonly (number | string | null)[]): string {
    this.#used.add(name);
    this.#inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Exposes value `from` as graph output `name` (through Identity when the names differ). */
  output(from: string, name: string, type: ElemType, shape: readonly (number | string | null)[]): void {
    if (from !== name) {
      this.#used.add(name);
      this.#nodes.push({ opType: 'Identity', input: [from], output: [name], name: this.fresh('Identity') });
    }
    this.#outputs.push(valueInfo(name, type, shape));
  }

  /** A constant tensor (an initializer). */
  constant(hint: string, type: ElemType, dims: readonly number[], values: ArrayLike<number> | readonly string[]): string {
    const name = this.fresh(hint);
    this.#initializers.push(tensor(type, dims, values, name));
    return name;
  }

  /** Adds a node; returns its output names (one by default). */
  nodeN(op: string, inputs: readonly string[], outputs: number, attributes: Record<string, AttributeValue> = {}, domain = ''): string[] {
    const out = Array.from({ length: outputs }, () => this.fresh(op));
    this.#nodes.push({
      opType: op, domain, input: [...inputs], output: out, name: this.fresh(`${op}_node`),
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  node(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, domain = ''): string {
    return this.nodeN(op, inputs, 1, attributes, domain)[0]!;
  }

  /** The encoded ModelProto. `metadata` becomes metadata_props (what a user reads with any ONNX tool). */
  encode(o: { producer: string; version: string; doc?: string; metadata?: Record<string, string> }): Uint8Array {
    const model: onnx.onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: o.producer,
      producerVersion: o.version,
      ...(o.doc ? { docString: o.doc } : {}),
      opsetImport: [{ domain: '', version: ONNX_OPSET }, { domain: ML_DOMAIN, version: ML_OPSET }],
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: this.#name, node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs },
    };
    return O.ModelProto.encode(O.ModelProto.create(model)).finish();
  }
}
