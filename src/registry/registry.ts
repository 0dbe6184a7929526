/**
 * The model registry: versions of named models, each a model package artifact with metrics and
 * lineage, and aliases such as `champion` and `challenger`. Two-phase like datasets: `stage` stores the
 * artifact, `commit` registers the version once the step that made it has succeeded.
 */
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ArtifactStore, MetadataStore, ModelVersionRecord } from '../store/types.ts';
import type { Json } from '../core/json.ts';
import { decodeModelPackage, encodeModelPackage, type ModelPackage } from '../ml/package.ts';

export interface ModelRef {
  readonly kind: 'model';
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly artifact: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface StagedModel {
  readonly kind: 'staged-model';
  readonly id: string;
  readonly name: string;
  readonly artifact: string;
  readonly metrics: Record<string, number>;
  readonly params: Record<string, Json>;
  readonly lineage: { runId: string | null; step: string | null; inputs: string[] };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function isModelRef(v: unknown): v is ModelRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'model';
}

export function isStagedModel(v: unknown): v is StagedModel {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'staged-model';
}

export class ModelRegistry {
  readonly #store: MetadataStore;
  readonly #artifacts: ArtifactStore;

  constructor(store: MetadataStore, artifacts: ArtifactStore) {
    this.#store = store;
    this.#artifacts = artifacts;
  }

  async stage(name: string, pkg: ModelPackage, lineage: StagedModel['lineage']): Promise<StagedModel> {
    if (!NAME.test(name)) throw new SluiceError(`Model name ${JSON.stringify(name)} is not valid`, { code: 'BAD_NAME' });
    const artifact = await this.#artifacts.put(encodeModelPackage(pkg));
    return { kind: 'staged-model', id: newId('mv'), name, artifact, metrics: pkg.metrics, params: pkg.params, lineage };
  }

  async commit(staged: StagedModel): Promise<ModelRef> {
    const record = await this.#store.registerModelVersion({
      id: staged.id, model: staged.name, artifact: staged.artifact, metrics: staged.metrics, params: staged.params,
      runId: staged.lineage.runId, step: staged.lineage.step, inputs: staged.lineage.inputs,
    });
    return toRef(record);
  }

  /** A version by number, alias (e.g. "champion"), or the latest when omitted. */
  async get(name: string, versionOrAlias?: number | string): Promise<ModelRef> {
    let version: number | undefined;
    if (typeof versionOrAlias === 'string' && !/^\d+$/.test(versionOrAlias)) {
      const aliases = await this.#store.getModelAliases(name);
      version = aliases[versionOrAlias];
      if (version === undefined) throw new SluiceError(`Model "${name}" has no alias "${versionOrAlias}"`, { code: 'NOT_FOUND', hint: `Its aliases: ${Object.keys(aliases).join(', ') || '(none)'}.` });
    } else if (versionOrAlias !== undefined) {
      version = Number(versionOrAlias);
    }
    const record = await this.#store.getModelVersion(name, version);
    if (!record) throw new SluiceError(version === undefined ? `No model named "${name}"` : `Model "${name}" has no version ${version}`, { code: 'NOT_FOUND', hint: 'List models with `sluice models`.' });
    return toRef(record);
  }

  async find(name: string, alias?: string): Promise<ModelRef | undefined> {
    try {
      return await this.get(name, alias);
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  async load(ref: ModelRef | StagedModel): Promise<ModelPackage> {
    return decodeModelPackage(await this.#artifacts.get(ref.artifact), `artifact of model "${ref.name}"`);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.#store.setModelAlias(name, alias, version);
  }
}

function toRef(r: ModelVersionRecord): ModelRef {
  return { kind: 'model', id: r.id, name: r.model, version: r.version, artifact: r.artifact, metrics: r.metrics };
}
