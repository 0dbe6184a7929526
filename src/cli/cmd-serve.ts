/**
 * `sluice serve <model> [<model> ...] [--port 8080] [--host 127.0.0.1] [--alias champion]`: the HTTP
 * prediction server for the aliased version of each model, until SIGINT/SIGTERM. The bearer token comes
 * from SLUICE_SERVE_TOKEN (never a flag: flags show in `ps`); beyond loopback it is required.
 */
import { SluiceError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { ModelRegistry } from '../registry/index.ts';
import { serveModels } from '../server/index.ts';
import type { ArtifactStore, MetadataStore } from '../store/types.ts';
import type { CliIO } from './io.ts';

export interface ServeFlags { port?: string | undefined; host?: string | undefined; alias?: string | undefined }

export async function cmdServe(store: MetadataStore, artifacts: ArtifactStore, models: string[], flags: ServeFlags, io: CliIO, logger: Logger): Promise<number> {
  if (models.length === 0) {
    const known = (await store.listModels()).map((m) => m.model);
    throw new SluiceError('sluice serve needs the names of the models to serve', {
      code: 'USAGE', hint: known.length ? `Registered models: ${known.join(', ')}. For example: sluice serve ${known[0]}` : 'No model is registered yet: run a pipeline that registers one.',
    });
  }
  const port = flags.port === undefined ? 8080 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SluiceError(`--port must be a port number (0-65535), got ${JSON.stringify(flags.port)}`, { code: 'USAGE' });
  }
  for (const name of models) {
    if ((await store.listModelVersions(name)).length === 0) {
      throw new SluiceError(`No model named "${name}" to serve`, { code: 'NOT_FOUND', hint: 'List the registered models with `sluice models`.' });
    }
  }
  const token = io.env.SLUICE_SERVE_TOKEN || undefined;
  const engine = await openEngine();
  try {
    const server = await serveModels({
      registry: new ModelRegistry(store, artifacts), models, port, logger, ui: { store, artifacts, engine },
      ...(flags.host ? { host: flags.host } : {}), ...(flags.alias ? { alias: flags.alias } : {}), ...(token ? { token } : {}),
    });
    io.out(`serving ${models.map((m) => { const s = server.models.get(m); return s ? `${m} v${s.version}` : `${m} (no ${server.models.alias} yet)`; }).join(', ')} at ${server.url}`);
    io.out(`  the web UI: ${server.url}/ui`);
    io.out(`  POST ${server.url}/v1/models/<name>/predict  {"rows": [{...}]}   GET /healthz   GET /metrics${token ? '   (bearer token required)' : ''}`);
    await new Promise<void>((resolve) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  } finally {
    await engine.close();
  }
  return 0;
}
