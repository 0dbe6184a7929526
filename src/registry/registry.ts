/**
 * The model registry: versions of named models, each a model package artifact with metrics and
 * lineage, and aliases such as `champion` and `challenger`. Two-phase like datasets: `stage` stores the
 * artifact, `commit` registers the version once the step that made it has succeeded.
 */
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { AliasHistoryRecord, AliasNote, ArtifactStore, MetadataStore, MetadataTx, ModelVersionRecord } from '../store/types.ts';
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
  readonly #workerId: string | null;

  /** `workerId`: the process staging (its pins hold while it heartbeats). */
  constructor(store: MetadataStore, artifacts: ArtifactStore, options: { workerId?: string | null } = {}) {
    this.#store = store;
    this.#artifacts = artifacts;
    this.#workerId = options.workerId ?? null;
  }

  async stage(name: string, pkg: ModelPackage, lineage: StagedModel['lineage']): Promise<StagedModel> {
    if (!NAME.test(name)) throw new SluiceError(`Model name ${JSON.stringify(name)} is not valid`, { code: 'BAD_NAME' });
    const id = newId('mv');
    const artifact = await this.#artifacts.put(encodeModelPackage(pkg), { beforePublish: (key) => this.#store.pinArtifacts(id, [key], this.#workerId) });
    return { kind: 'staged-model', id, name, artifact, metrics: pkg.metrics, params: pkg.params, lineage };
  }

  async commit(staged: StagedModel): Promise<ModelRef> {
    return this.#store.transaction((tx) => this.registerIn(tx, staged));
  }

  /** Registers a staged model inside the caller's transaction (a step's all-or-nothing commit). */
  async registerIn(tx: MetadataTx, staged: StagedModel): Promise<ModelRef> {
    const record = await tx.registerModelVersion({
      id: staged.id, model: staged.name, artifact: staged.artifact, metrics: staged.metrics, params: staged.params,
      runId: staged.lineage.runId, step: staged.lineage.step, inputs: staged.lineage.inputs,
    });
    await tx.unpinArtifacts(staged.id);
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

  /** Points an alias at a version; the move, with `note`'s reason and evidence, joins the alias history. */
  async setAlias(name: string, alias: string, version: number, note?: AliasNote): Promise<void> {
    await this.#store.setModelAlias(name, alias, version, note);
  }

  /** Every move of the model's aliases (or of one alias), oldest first. */
  async history(name: string, alias?: string): Promise<AliasHistoryRecord[]> {
    return this.#store.listAliasHistory(name, alias);
  }

  /**
   * Points the alias back at the version it pointed to before its last move, and records the
   * rollback (with `reason`) in the history. Returns the version it now points to.
   */
  async rollback(name: string, alias: string, note: AliasNote = {}): Promise<{ from: number; to: number }> {
    const aliases = await this.#store.getModelAliases(name);
    const current = aliases[alias];
    if (current === undefined) {
      throw new SluiceError(`Model "${name}" has no alias "${alias}" to roll back`, { code: 'NOT_FOUND', hint: `Its aliases: ${Object.keys(aliases).join(', ') || '(none)'}.` });
    }
    const moves = (await this.#store.listAliasHistory(name, alias)).filter((m) => m.version === current);
    const last = moves[moves.length - 1];
    if (!last || last.previousVersion === null) {
      throw new SluiceError(`Alias "${alias}" of model "${name}" has pointed only at version ${current}: there is nothing to roll back to`, {
        code: 'NOT_FOUND', hint: `Point it at another version explicitly: sluice models promote ${name} <version> --alias ${alias}.`,
      });
    }
    await this.#store.setModelAlias(name, alias, last.previousVersion, {
      ...note, reason: note.reason ?? `rollback from version ${current} to ${last.previousVersion}`,
      evidence: { ...(note.evidence ?? {}), rollbackOf: current },
    });
    return { from: current, to: last.previousVersion };
  }
}

function toRef(r: ModelVersionRecord): ModelRef {
  return { kind: 'model', id: r.id, name: r.model, version: r.version, artifact: r.artifact, metrics: r.metrics };
}
