/**
 * A typed-array column that grows while a result streams in (its length is known only at the end):
 * written in place in blocks, joined once by `finish`.
 */
type TypedArray = Float64Array | Int32Array;

const BLOCK_ROWS = 1 << 16;

export class BlockedArray<A extends TypedArray> {
  readonly #make: (n: number) => A;
  readonly #full: A[] = [];
  /** The block being written; `reserve` makes room in it. */
  block: A;
  /** Values written into `block`. */
  used = 0;
  #total = 0;

  /** `expected`: the final length when known (then the first block is the result, never copied). */
  constructor(make: (n: number) => A, expected?: number) {
    this.#make = make;
    this.block = make(expected ?? BLOCK_ROWS);
  }

  /** Makes room for `n` contiguous values in `block` and returns where they start; then `commit(n)`. */
  reserve(n: number): number {
    if (this.used + n > this.block.length) {
      this.#full.push(this.block.subarray(0, this.used) as A);
      this.block = this.#make(Math.max(BLOCK_ROWS, n));
      this.used = 0;
    }
    return this.used;
  }

  commit(n: number): void {
    this.used += n;
    this.#total += n;
  }

  get length(): number {
    return this.#total;
  }

  /** All values in one array of exactly `length`, each passed through `map` if given. */
  finish(map?: (block: A, out: A, at: number) => void): A {
    if (this.#full.length === 0 && this.used === this.block.length) {
      // One exactly filled block: it is the result (mapped in place).
      map?.(this.block, this.block, 0);
      return this.block;
    }
    const out = this.#make(this.#total);
    let at = 0;
    for (const b of [...this.#full, this.block.subarray(0, this.used) as A]) {
      if (map) map(b, out, at);
      else out.set(b, at);
      at += b.length;
    }
    return out;
  }
}
