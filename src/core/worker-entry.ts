/**
 * How to start a worker thread whose module sits next to the caller: the compiled `<name>.js` when the
 * caller runs from dist/, and `<name>.ts` through tsx when it runs from TypeScript sources (tests,
 * benches, a checkout). Node 20 ignores `--import` in a Worker's execArgv for the entry module, so the
 * TypeScript entry is a tiny inline script that registers tsx and then imports the module.
 *
 * `execArgv` is undefined (the worker inherits the process's flags) unless the process has `--input-type`,
 * which a worker refuses to start with (`node --input-type=module -e ...` would lose its workers): then
 * it is the process's flags without it.
 *
 * @example
 * const entry = workerEntry(import.meta.url, 'worker');
 * new Worker(entry.script, { eval: entry.eval, execArgv: entry.execArgv });
 */
export function workerEntry(here: string, name: string): { script: string | URL; eval: boolean; execArgv: string[] | undefined } {
  const kept = process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');
  const execArgv = kept.length === process.execArgv.length ? undefined : kept;
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${name}.ts`, here).href;
    const script = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
    return { script, eval: true, execArgv };
  }
  return { script: new URL(`./${name}.js`, here), eval: false, execArgv };
}
