/**
 * The project file: one file at the project's root that lists its pipelines (as Dagster's
 * definitions), so `sluice scheduler`, `sluice worker` and `sluice backfill <name>` find a pipeline by
 * its name, and any process can load the graph of a run from the file the run records.
 *
 * @example
 * // sluice.config.ts
 * import { defineProject } from 'sluice';
 * export default defineProject({ pipelines: ['examples/flights/pipeline.ts'] });
 *
 * Found as `--project <file>`, else `SLUICE_PROJECT`, else the first `sluice.config.{ts,mts,js,mjs}`
 * in the working directory or a parent of it. Entries are paths (relative to the project file) of
 * pipeline files whose default export is a pipeline, or pipelines themselves.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SluiceError } from '../core/errors.ts';
import type { PipelineGraph } from './graph.ts';

/** What a pipeline file or a project entry may hold: a builder (anything with build()) or a built graph. */
export type PipelineLike = PipelineGraph | { build(): PipelineGraph };

export interface ProjectDefinition {
  /** Pipeline files (relative to the project file) or pipelines. */
  pipelines: readonly (string | PipelineLike)[];
}

const PROJECT = Symbol.for('sluice.project');

export interface Project extends ProjectDefinition {
  readonly [PROJECT]: true;
}

/** Declares a project's pipelines: the default export of `sluice.config.ts`. */
export function defineProject(definition: ProjectDefinition): Project {
  if (!definition || !Array.isArray(definition.pipelines)) {
    throw new SluiceError('defineProject() needs { pipelines: [...] }', { code: 'PROJECT', hint: "e.g. defineProject({ pipelines: ['pipelines/daily.ts'] })" });
  }
  return Object.freeze({ [PROJECT]: true as const, pipelines: Object.freeze([...definition.pipelines]) });
}

export const PROJECT_FILE_NAMES = ['sluice.config.ts', 'sluice.config.mts', 'sluice.config.js', 'sluice.config.mjs'] as const;

/** A pipeline of a project, with the file it came from (recorded on its runs). */
export interface ProjectPipeline {
  readonly name: string;
  readonly graph: PipelineGraph;
  /** Absolute path of the pipeline file, or of the project file when the pipeline is defined there. */
  readonly file: string;
}

export interface LoadedProject {
  readonly file: string;
  readonly root: string;
  readonly pipelines: ReadonlyMap<string, ProjectPipeline>;
}

/** The project file to use: explicit, else SLUICE_PROJECT, else the nearest sluice.config.* upward from `cwd`. */
export function findProjectFile(cwd: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = explicit || env['SLUICE_PROJECT'];
  if (given) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) {
      throw new SluiceError(`Project file not found: ${path}`, { code: 'PROJECT', hint: `${explicit ? '--project' : 'SLUICE_PROJECT'} must name an existing sluice.config.ts.` });
    }
    return path;
  }
  let dir = resolve(cwd);
  for (;;) {
    for (const name of PROJECT_FILE_NAMES) {
      const path = resolve(dir, name);
      if (existsSync(path)) return path;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function importFile(path: string, what: string): Promise<Record<string, unknown>> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new SluiceError(`${what} not found: ${path}`, { code: 'PIPELINE_LOAD' });
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError(`Could not load ${what.toLowerCase()} ${path}: ${err instanceof Error ? err.message : String(err)}`, { code: 'PIPELINE_LOAD', cause: err });
  }
}

function isProject(value: unknown): value is Project {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROJECT] === true;
}

/** A graph from a builder or graph (duck-typed: the file may import its own copy of sluice). */
function toGraph(value: unknown): PipelineGraph | undefined {
  if (value && typeof (value as { build?: unknown }).build === 'function') return (value as { build(): PipelineGraph }).build();
  if (value && typeof value === 'object' && 'steps' in value && 'order' in value && 'name' in value) return value as PipelineGraph;
  return undefined;
}

/** Loads a pipeline file: its default export (or export `pipeline`) must be a pipeline. */
export async function loadPipelineFile(path: string): Promise<ProjectPipeline> {
  const mod = await importFile(path, 'Pipeline file');
  const graph = toGraph(mod['default'] ?? mod['pipeline']);
  if (!graph) {
    throw new SluiceError(`Pipeline file ${path} does not export a pipeline`, {
      code: 'PIPELINE_LOAD', hint: "Export one as the default export: `export default pipeline('name').step(...)`.",
    });
  }
  return { name: graph.name, graph, file: path };
}

/** Loads a project file and every pipeline it lists; two pipelines with one name are an error. */
export async function loadProject(file: string): Promise<LoadedProject> {
  const path = resolve(file);
  const mod = await importFile(path, 'Project file');
  const project = mod['default'];
  if (!isProject(project)) {
    throw new SluiceError(`Project file ${path} does not export a project`, {
      code: 'PROJECT', hint: "Make its default export `defineProject({ pipelines: ['path/to/pipeline.ts'] })`.",
    });
  }
  const root = dirname(path);
  const pipelines = new Map<string, ProjectPipeline>();
  for (const [i, entry] of project.pipelines.entries()) {
    let p: ProjectPipeline;
    if (typeof entry === 'string') {
      p = await loadPipelineFile(isAbsolute(entry) ? entry : resolve(root, entry));
    } else {
      const graph = toGraph(entry);
      if (!graph) throw new SluiceError(`Entry ${i + 1} of the pipelines in ${path} is neither a file path nor a pipeline`, { code: 'PROJECT', hint: 'List pipeline file paths (strings) or pipelines.' });
      p = { name: graph.name, graph, file: path };
    }
    const seen = pipelines.get(p.name);
    if (seen) {
      throw new SluiceError(`Project ${path} has two pipelines named "${p.name}" (${seen.file} and ${p.file})`, { code: 'PROJECT', hint: 'Pipeline names must be unique in a project: rename one.' });
    }
    pipelines.set(p.name, p);
  }
  return { file: path, root, pipelines };
}

function looksLikeFile(spec: string): boolean {
  return /\.(m|c)?(t|j)s$/.test(spec) || spec.includes('/') || spec.includes('\\');
}

/**
 * A pipeline by name (from the project) or by file path: what `sluice backfill <pipeline>` and
 * `sluice schedules pause <pipeline>` accept.
 */
export async function resolvePipeline(spec: string, options: { cwd: string; project?: string; env?: NodeJS.ProcessEnv }): Promise<ProjectPipeline> {
  if (looksLikeFile(spec) && existsSync(resolve(options.cwd, spec))) return loadPipelineFile(resolve(options.cwd, spec));
  const file = findProjectFile(options.cwd, options.project, options.env);
  if (!file) {
    throw new SluiceError(`No pipeline "${spec}": there is no project file here to look it up in`, {
      code: 'PROJECT', hint: `Create sluice.config.ts listing your pipeline files (see README, "Schedules and backfills"), or pass the pipeline file's path.`,
    });
  }
  const project = await loadProject(file);
  const found = project.pipelines.get(spec);
  if (!found) {
    throw new SluiceError(`Project ${file} has no pipeline named "${spec}"`, {
      code: 'PROJECT', hint: `Its pipelines: ${[...project.pipelines.keys()].join(', ') || '(none)'}.`,
    });
  }
  return found;
}

/**
 * The graph of a recorded run (for workers and resumed runs): loaded from the file the run records,
 * which is a pipeline file or a project file; when that path does not exist on this machine, the
 * pipeline is looked up by name in this machine's project file.
 */
export async function resolveRunGraph(pipeline: string, file: string | null, options: { cwd?: string; project?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PipelineGraph> {
  if (file && existsSync(file)) {
    const mod = await importFile(file, 'Pipeline file');
    if (isProject(mod['default'])) {
      const found = (await loadProject(file)).pipelines.get(pipeline);
      if (found) return found.graph;
    } else {
      const graph = toGraph(mod['default'] ?? mod['pipeline']);
      if (graph && graph.name === pipeline) return graph;
    }
  }
  const projectFile = findProjectFile(options.cwd ?? process.cwd(), options.project, options.env);
  if (projectFile) {
    const found = (await loadProject(projectFile)).pipelines.get(pipeline);
    if (found) return found.graph;
  }
  throw new SluiceError(`Cannot find the code of pipeline "${pipeline}"${file ? ` (recorded file ${file})` : ''}`, {
    code: 'PIPELINE_LOAD', hint: 'Run this process where the pipeline file exists, or list the pipeline in the project file (sluice.config.ts) and set SLUICE_PROJECT.',
  });
}
