/**
 * The served models: for each model name, the version an alias (default `champion`) points to, loaded
 * into a Predictor. `refresh()` reads the aliases and loads any version that changed *before* swapping
 * it in, so a request always sees one whole model: the old one or the new one, never half of either.
 */
import { SluiceError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { loadPredictor, type ModelPackage, type ModelRegistry, type Predictor } from '../registry/index.ts';

export interface ServedModel {
  readonly name: string;
  readonly version: number;
  readonly alias: string;
  readonly predictor: Predictor;
  readonly pkg: ModelPackage;
  /** Known categories of each text input, for rejecting values the model never saw. */
  readonly categories: ReadonlyMap<string, ReadonlySet<string>>;
  readonly loadedAt: number;
}

export class ModelSet {
  readonly #registry: ModelRegistry;
  readonly #names: readonly string[];
  readonly #alias: string;
  readonly #logger: Logger | undefined;
  #served = new Map<string, ServedModel>();
  /** The last load error per model (e.g. an alias pointing nowhere yet); cleared when it loads. */
  readonly errors = new Map<string, string>();
  onSwap: ((model: ServedModel, previous: number | undefined) => void) | undefined;

  constructor(registry: ModelRegistry, names: readonly string[], options: { alias?: string; logger?: Logger } = {}) {
    if (names.length === 0) throw new SluiceError('No model to serve', { code: 'USAGE', hint: 'Name at least one registered model: `sluice serve <model> ...`.' });
    this.#registry = registry;
    this.#names = names;
    this.#alias = options.alias ?? 'champion';
    this.#logger = options.logger;
  }

  get alias(): string { return this.#alias; }
  get names(): readonly string[] { return this.#names; }

  get(name: string): ServedModel | undefined {
    return this.#served.get(name);
  }

  /** Loads the aliased version of every model whose alias moved; returns the names swapped. */
  async refresh(): Promise<string[]> {
    const swapped: string[] = [];
    for (const name of this.#names) {
      try {
        const ref = await this.#registry.get(name, this.#alias);
        const current = this.#served.get(name);
        if (current && current.version === ref.version) continue;
        const pkg = await this.#registry.load(ref);
        const predictor = loadPredictor(pkg);
        const model: ServedModel = { name, version: ref.version, alias: this.#alias, predictor, pkg, categories: knownCategories(predictor), loadedAt: Date.now() };
        // One assignment: readers see the old map entry or the new one.
        const next = new Map(this.#served);
        next.set(name, model);
        this.#served = next;
        this.errors.delete(name);
        swapped.push(name);
        this.onSwap?.(model, current?.version);
        this.#logger?.info(`serving ${name} v${ref.version} (${this.#alias})${current ? `, was v${current.version}` : ''}`);
      } catch (err) {
        const message = errorMessage(err);
        if (this.errors.get(name) !== message) this.#logger?.warn(`cannot serve ${name}: ${message}`);
        this.errors.set(name, message);
      }
    }
    return swapped;
  }
}

/** Walks the fitted feature pipeline for category encoders and collects each text column's vocabulary. */
function knownCategories(predictor: Predictor): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > 6 || node === null || typeof node !== 'object') return;
    const t = node as { type?: unknown; inputs?: unknown; vocabularies?: unknown; steps?: unknown; transformers?: unknown };
    if (t.type === 'category-encoder' && Array.isArray(t.inputs) && Array.isArray(t.vocabularies)) {
      (t.inputs as string[]).forEach((name, j) => out.set(name, new Set((t.vocabularies as string[][])[j] ?? [])));
      return;
    }
    for (const child of [t.steps, t.transformers]) {
      if (Array.isArray(child)) for (const c of child) visit((c as { transformer?: unknown }).transformer ?? c, depth + 1);
    }
  };
  visit(predictor.features, 0);
  return out;
}
