/** Starts the web UI on a port (`sluice ui`): loopback unless a token is set. */
import { SluiceError } from '../../core/errors.ts';
import { buildUi, type UiOptions } from './app.ts';

export interface UiServeOptions extends UiOptions {
  host?: string;
  port?: number;
}

export interface RunningUi {
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function serveUi(options: UiServeOptions): Promise<RunningUi> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !options.token) {
    throw new SluiceError(`Refusing to serve the UI on ${host} without a token: anyone who can reach it could read every dataset and retry or cancel runs`, {
      code: 'USAGE', hint: 'Set SLUICE_UI_TOKEN to a secret (sign in at /login, or send `Authorization: Bearer <token>`), or serve on 127.0.0.1.',
    });
  }
  const app = buildUi(options);
  const url = await app.listen({ host, port: options.port ?? 4400 });
  return { url, close: () => app.close() };
}
