/**
 * `sluice models export <name> [--version N | --alias A] [--format onnx] [--output file.onnx] [--json]`:
 * writes a registered model version (the latest, a version, or the one an alias points to) as an
 * ONNX file with its feature pipeline in the graph (src/ml/export). The file appears whole or not at
 * all (temp file, then rename); a model ONNX cannot express fails with the reason and writes nothing.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../core/errors.ts';
import { exportOnnx } from '../ml/export/index.ts';
import { loadPredictor } from '../ml/predictor.ts';
import { ModelRegistry } from '../registry/index.ts';
import type { ArtifactStore, MetadataStore } from '../store/types.ts';

export interface ExportFlags {
  version?: string | undefined;
  alias?: string | undefined;
  format?: string | undefined;
  output?: string | undefined;
  json?: boolean | undefined;
}

/** The part of the CLI's IO this command uses. */
interface ExportIO { out: (text: string) => void; cwd: string }

const FORMATS = ['onnx'];

function usage(message: string, hint: string): SluiceError {
  return new SluiceError(message, { code: 'USAGE', hint });
}

export async function cmdModelsExport(store: MetadataStore, artifacts: ArtifactStore, args: readonly string[], flags: ExportFlags, io: ExportIO): Promise<number> {
  const name = args[0];
  const usageLine = 'sluice models export <name> [--version N | --alias champion] --format onnx [--output file.onnx]';
  if (!name) throw usage('sluice models export needs a model name', `${usageLine}; list the models with \`sluice models\`.`);
  if (args.length > 1) throw usage(`sluice models export takes one model name, got ${args.map((a) => JSON.stringify(a)).join(' ')}`, `Give the version with --version: ${usageLine}.`);
  const format = flags.format ?? 'onnx';
  if (!FORMATS.includes(format)) throw usage(`sluice models export cannot write format ${JSON.stringify(format)}`, `Formats: ${FORMATS.join(', ')}.`);
  if (flags.version !== undefined && flags.alias !== undefined) throw usage('--version and --alias both name the version to export: give one', usageLine);
  let version: number | undefined;
  if (flags.version !== undefined) {
    version = Number(flags.version.replace(/^v/, ''));
    if (!Number.isInteger(version) || version < 1) throw usage(`--version must be a version number such as 3 or v3, got ${JSON.stringify(flags.version)}`, `See the versions with \`sluice models show ${name}\`.`);
  }
  const registry = new ModelRegistry(store, artifacts);
  const ref = await registry.get(name, version ?? flags.alias);
  const pkg = await registry.load(ref);
  const predictor = loadPredictor(pkg);
  const bytes = exportOnnx(predictor, { name, metadata: { 'sluice.model': name, 'sluice.version': String(ref.version) } });
  const path = resolve(io.cwd, flags.output ?? `${name}-v${ref.version}.onnx`);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new SluiceError(`Could not write the ONNX file ${path}: ${err instanceof Error ? err.message : String(err)}`, { code: 'WRITE_FAILED', cause: err, hint: 'Check that the folder exists and is writable, or choose another --output.' });
  }
  const size = (await stat(path)).size;
  const inputs = predictor.signature.map((s) => ({ name: s.name, type: s.type === 'number' ? 'double' : 'string' }));
  const task = predictor.task;
  const output = task === 'regression'
    ? { name: 'prediction', shape: '[N,1]' }
    : { name: 'probabilities', shape: `[N,${task === 'binary' ? 2 : predictor.classes?.length ?? 'K'}]`, classes: predictor.classes };
  if (flags.json) {
    io.out(JSON.stringify({ model: name, version: ref.version, estimator: pkg.estimator.type, task, format, path, bytes: size, inputs, output }, null, 2));
    return 0;
  }
  io.out(`exported ${name} v${ref.version} (${pkg.estimator.type}, ${task}) to ${path} (${size} bytes)`);
  io.out(`  inputs: ${inputs.map((i) => `${i.name} ${i.type}[N,1]`).join(', ')}`);
  io.out(`  output: ${output.name} double${output.shape}${'classes' in output && output.classes ? ` (classes ${output.classes.map(String).join(', ')})` : ''}`);
  io.out('  missing values: NaN for numbers; for text any value outside the vocabulary (e.g. the empty string)');
  return 0;
}
