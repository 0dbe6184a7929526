/**
 * `sluice models promote|rollback|history|compare`: moving aliases by hand (recorded in the alias
 * history with who and why, like a step's promotion) and reading what happened.
 *
 *   sluice models promote <name> <version> [--alias champion] [--reason "..."]
 *   sluice models rollback <name> [--alias champion] [--reason "..."]
 *   sluice models history <name> [--alias A] [--json]
 *   sluice models compare <name> <v1> <v2> [--json]
 */
import { userInfo, hostname } from 'node:os';
import { SluiceError } from '../core/errors.ts';
import { ModelRegistry } from '../registry/index.ts';
import type { AliasHistoryRecord, ArtifactStore, MetadataStore, ModelVersionRecord } from '../store/types.ts';
import { formatNumber, formatTime, table } from './format.ts';
import type { CliIO } from './io.ts';

export interface ModelsFlags { alias?: string | undefined; reason?: string | undefined; json?: boolean | undefined }

/** Who is at the keyboard, for the alias history. */
function cliActor(): string {
  let user = 'unknown';
  try { user = userInfo().username; } catch { /* no passwd entry in some containers */ }
  return `cli (${user}@${hostname()})`;
}

function usage(message: string, hint: string): SluiceError {
  return new SluiceError(message, { code: 'USAGE', hint });
}

function versionArg(arg: string | undefined, what: string): number {
  const v = Number(arg?.replace(/^v/, ''));
  if (!arg || !Number.isInteger(v) || v < 1) throw usage(`${what} must be a version number such as 3 or v3, got ${JSON.stringify(arg ?? '')}`, 'See the versions with `sluice models show <name>`.');
  return v;
}

async function requireVersion(store: MetadataStore, name: string, version: number): Promise<ModelVersionRecord> {
  const v = await store.getModelVersion(name, version);
  if (!v) {
    const versions = (await store.listModelVersions(name)).map((x) => `v${x.version}`);
    throw new SluiceError(versions.length ? `Model "${name}" has no version ${version}` : `No model named "${name}"`, {
      code: 'NOT_FOUND', hint: versions.length ? `Its versions: ${versions.join(', ')}.` : 'List the models with `sluice models`.',
    });
  }
  return v;
}

export async function cmdModelsPromote(store: MetadataStore, artifacts: ArtifactStore, args: string[], flags: ModelsFlags, io: CliIO): Promise<number> {
  const [name, versionText] = args;
  if (!name) throw usage('sluice models promote needs a model name and a version', 'sluice models promote <name> <version> [--alias champion] [--reason "..."]');
  const version = versionArg(versionText, 'the version to promote');
  await requireVersion(store, name, version);
  const alias = flags.alias ?? 'champion';
  const before = (await store.getModelAliases(name))[alias];
  if (before === version) { io.out(`${name}: ${alias} already points to v${version}; nothing changed`); return 0; }
  await new ModelRegistry(store, artifacts).setAlias(name, alias, version, {
    reason: flags.reason ?? 'promoted by hand', actor: cliActor(), runId: null, evidence: { manual: true },
  });
  io.out(`${name}: ${alias} now points to v${version}${before !== undefined ? ` (was v${before})` : ''}`);
  return 0;
}

export async function cmdModelsRollback(store: MetadataStore, artifacts: ArtifactStore, args: string[], flags: ModelsFlags, io: CliIO): Promise<number> {
  const [name] = args;
  if (!name) throw usage('sluice models rollback needs a model name', 'sluice models rollback <name> [--alias champion] [--reason "..."]');
  if ((await store.listModelVersions(name)).length === 0) {
    throw new SluiceError(`No model named "${name}"`, { code: 'NOT_FOUND', hint: 'List the models with `sluice models`.' });
  }
  const alias = flags.alias ?? 'champion';
  const { from, to } = await new ModelRegistry(store, artifacts).rollback(name, alias, { actor: cliActor(), runId: null, ...(flags.reason ? { reason: flags.reason } : {}) });
  io.out(`${name}: ${alias} rolled back from v${from} to v${to}`);
  return 0;
}

/** The alias history as table rows, newest last. */
export function historyRows(history: readonly AliasHistoryRecord[]): string[][] {
  return history.map((h) => [
    formatTime(h.at), h.alias, `${h.previousVersion === null ? '-' : `v${h.previousVersion}`} -> v${h.version}`,
    h.runId ? `run ${h.runId}` : (h.actor ?? ''), h.reason ?? '',
  ]);
}

export async function cmdModelsHistory(store: MetadataStore, args: string[], flags: ModelsFlags, io: CliIO): Promise<number> {
  const [name] = args;
  if (!name) throw usage('sluice models history needs a model name', 'sluice models history <name> [--alias champion]');
  if ((await store.listModelVersions(name)).length === 0) {
    throw new SluiceError(`No model named "${name}"`, { code: 'NOT_FOUND', hint: 'List the models with `sluice models`.' });
  }
  const history = await store.listAliasHistory(name, flags.alias);
  if (flags.json) { io.out(JSON.stringify(history, null, 2)); return 0; }
  if (history.length === 0) { io.out(`${name}: no alias has been set${flags.alias ? ` for ${flags.alias}` : ''}`); return 0; }
  io.out(table(['when', 'alias', 'move', 'by', 'why'], historyRows(history)));
  return 0;
}

export async function cmdModelsCompare(store: MetadataStore, args: string[], flags: ModelsFlags, io: CliIO): Promise<number> {
  const [name, a, b] = args;
  if (!name) throw usage('sluice models compare needs a model name and two versions', 'sluice models compare <name> <v1> <v2>');
  const left = await requireVersion(store, name, versionArg(a, 'the first version'));
  const right = await requireVersion(store, name, versionArg(b, 'the second version'));
  const aliases = await store.getModelAliases(name);
  const aliasesOf = (v: number): string => Object.entries(aliases).filter(([, n]) => n === v).map(([x]) => x).join(', ');
  const trained = async (v: ModelVersionRecord): Promise<string> => {
    const names: string[] = [];
    for (const id of v.inputs) {
      const d = await store.getDatasetVersionById(id);
      names.push(d ? `${d.dataset}@${d.version}${d.partition ? ` (${d.partition})` : ''}` : id);
    }
    return names.join(', ') || '-';
  };
  const metricNames = [...new Set([...Object.keys(left.metrics), ...Object.keys(right.metrics)])].sort();
  const paramNames = [...new Set([...Object.keys(left.params), ...Object.keys(right.params)])].sort();
  if (flags.json) {
    io.out(JSON.stringify({ model: name, left: { ...left, aliases: aliasesOf(left.version), trainedOn: await trained(left) }, right: { ...right, aliases: aliasesOf(right.version), trainedOn: await trained(right) } }, null, 2));
    return 0;
  }
  const diff = (x: number | undefined, y: number | undefined): string => (x === undefined || y === undefined ? '' : `${y - x >= 0 ? '+' : ''}${formatNumber(y - x)}`);
  const rows: string[][] = [
    ['created', formatTime(left.createdAt), formatTime(right.createdAt), ''],
    ['aliases', aliasesOf(left.version) || '-', aliasesOf(right.version) || '-', ''],
    ['run', left.runId ?? '-', right.runId ?? '-', ''],
    ['trained on', await trained(left), await trained(right), ''],
    ...metricNames.map((m) => [m, fmt(left.metrics[m]), fmt(right.metrics[m]), diff(left.metrics[m], right.metrics[m])]),
    ...paramNames.map((p) => [`param ${p}`, JSON.stringify(left.params[p] ?? null), JSON.stringify(right.params[p] ?? null), '']),
  ];
  io.out(table(['', `v${left.version}`, `v${right.version}`, 'change'], rows));
  io.out('\n(metrics are each version\'s own, as recorded at registration; a promotion gate measures both on the same rows: see `sluice models history`)');
  return 0;
}

function fmt(x: number | undefined): string {
  return x === undefined ? '-' : formatNumber(x);
}
