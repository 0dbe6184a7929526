/**
 * Starts the prediction server: loads the aliased version of each model, listens, and re-reads the
 * aliases every `refreshMs` so that a promotion is served without a restart.
 */
import type { Logger } from '../core/log.ts';
import { SluiceError } from '../core/errors.ts';
import type { ModelRegistry } from '../registry/index.ts';
import { buildServer, type ServerOptions } from './app.ts';
import { ModelSet } from './models.ts';
import { registerUi, type UiOptions } from './ui/app.ts';

export interface ServeOptions extends Omit<ServerOptions, 'models'> {
  registry: ModelRegistry;
  models: readonly string[];
  alias?: string;
  host?: string;
  port?: number;
  /** How often aliases are re-read; default 2,000 ms. */
  refreshMs?: number;
  logger?: Logger;
  /** Mounts the web UI under /ui (read-only: no retry or cancel), behind the same token. */
  ui?: Omit<UiOptions, 'token' | 'actions'>;
}

export interface RunningServer {
  readonly url: string;
  readonly models: ModelSet;
  /** Re-reads the aliases now (the timer also does, every refreshMs). */
  refresh(): Promise<string[]>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function serveModels(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !options.token) {
    throw new SluiceError(`Refusing to serve on ${host} without a token: anyone who can reach it could call the models`, {
      code: 'USAGE', hint: 'Set SLUICE_SERVE_TOKEN to a secret (clients send `Authorization: Bearer <token>`), or serve on 127.0.0.1.',
    });
  }
  const models = new ModelSet(options.registry, options.models, { ...(options.alias ? { alias: options.alias } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  await models.refresh();
  const app = buildServer({ ...options, models, ...(options.ui ? { uiPrefix: '/ui' } : {}) });
  if (options.ui) await registerUi(app, { ...options.ui, ...(options.token ? { token: options.token } : {}) }, '/ui');
  const address = await app.listen({ host, port: options.port ?? 8080 });
  let refreshing: Promise<string[]> | undefined;
  const refresh = (): Promise<string[]> => (refreshing ??= models.refresh().finally(() => { refreshing = undefined; }));
  const timer = setInterval(() => { void refresh(); }, options.refreshMs ?? 2000);
  timer.unref();
  return {
    url: address, models, refresh,
    async close() { clearInterval(timer); await refreshing; await app.close(); },
  };
}
