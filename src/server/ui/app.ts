/**
 * The web UI: server-rendered pages on Fastify, htmx for the live run fragment and the POST actions,
 * uPlot for charts and dagre for the step graph (see docs/ARCHITECTURE.md, "server/"). `buildUi` makes a
 * Fastify instance of its own (`sluice ui`); `registerUi` mounts the same routes under a prefix of another
 * instance (`sluice serve --ui`).
 *
 *   GET  /runs[?pipeline&state&partition&after]    runs, newest first, 50 a page (keyset pages)
 *   GET  /runs/:id, /runs/:id/live                  a run; the live fragment polled while it runs
 *   POST /runs/:id/retry, /runs/:id/cancel          the orchestration's retry and cancel (CSRF-checked)
 *   GET  /schedules, /schedules/live                schedules (next occurrences, last run, paused) and backfills by partition
 *   GET  /datasets, /datasets/:name[?version]       versions, partitions, profile, validation, quarantine, lineage
 *   GET  /models, /models/:name, /models/:name/compare?a&b
 *   GET  /monitoring, /monitoring/:dataset[?batch]  performance over batches; drift per feature over batches, reference vs current
 *   GET  /static/*                                  htmx, uPlot (from node_modules), the UI's script and css
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type { Engine } from '../../engine/index.ts';
import type { ProjectPipeline } from '../../orchestrator/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../../store/types.ts';
import { asset } from './assets.ts';
import { datasetPage, datasetsPage } from './datasets.ts';
import { html, type SafeHtml } from './html.ts';
import { page, type PageContext } from './layout.ts';
import { comparePage, modelPage, modelsPage } from './models.ts';
import { driftPage, monitoringPage } from './monitoring.ts';
import { runLive, runPage, runsPage } from './runs.ts';
import { schedulesLive, schedulesPage } from './schedules.ts';
import { Guard, TOKEN_COOKIE, sameText } from './security.ts';
import type { RunActions, StepShape, UiDeps } from './types.ts';

export type { RunActions, StepShape } from './types.ts';

export interface UiOptions {
  store: MetadataStore;
  artifacts: ArtifactStore;
  /** DuckDB for quarantined rows and drift datasets. */
  engine?: Engine;
  /** Retry and cancel; without them the buttons are not shown. */
  actions?: RunActions;
  resolveGraph?: (run: RunRecord) => Promise<readonly StepShape[] | undefined>;
  /** The project's pipelines: the schedules page shows their declared schedules (also those no scheduler has seen yet). */
  pipelines?: readonly ProjectPipeline[];
  /** Required token (SLUICE_UI_TOKEN); none means no authentication, for 127.0.0.1 only. */
  token?: string;
  liveIntervalMs?: number;
  now?: () => number;
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** A Fastify instance serving the UI at the root path. */
export function buildUi(options: UiOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  registerRoutes(app, options, '');
  return app;
}

/** Mounts the UI's routes on `app` under `prefix` (e.g. '/ui'). */
export async function registerUi(app: FastifyInstance, options: UiOptions, prefix: string): Promise<void> {
  await app.register(async (scope) => { registerRoutes(scope, options, prefix); }, { prefix });
}

function registerRoutes(app: FastifyInstance, options: UiOptions, base: string): void {
  const deps: UiDeps = {
    store: options.store, artifacts: options.artifacts, liveIntervalMs: options.liveIntervalMs ?? 2000, now: options.now ?? Date.now,
    ...(options.engine ? { engine: options.engine } : {}), ...(options.actions ? { actions: options.actions } : {}),
    ...(options.resolveGraph ? { resolveGraph: options.resolveGraph } : {}), ...(options.pipelines ? { pipelines: options.pipelines } : {}),
  };
  const guard = new Guard(options.token, base || '/');

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    const path = req.url.slice(base.length).split('?')[0]!;
    if (path.startsWith('/static/') || path === '/login') return;
    if (!guard.authorized(req)) {
      if (req.method === 'GET' && !req.headers.authorization) return reply.redirect(`${base}/login`, 303);
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain; charset=utf-8').send('A token is required: send Authorization: Bearer <SLUICE_UI_TOKEN>, or sign in at /login.');
    }
  });

  const ctxOf = (req: FastifyRequest, reply: FastifyReply): PageContext => ({ base, csrf: guard.csrfToken(guard.session(req, reply)) });
  const send = (reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.text);
  const notFound = (req: FastifyRequest, reply: FastifyReply, what: string): FastifyReply =>
    send(reply, page(ctxOf(req, reply), '', 'Not found', html`<h1>Not found</h1><p>${what}</p>`), 404);

  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const hint = err instanceof SluiceError ? err.hint : undefined;
    const code = err instanceof SluiceError ? (err.code === 'NOT_FOUND' ? 404 : err.code === 'USAGE' || err.code === 'PIPELINE_UNKNOWN' ? 409 : 500) : status;
    void send(reply, page(ctxOf(req, reply), '', 'Error', html`<h1>Error</h1><div class="error"><pre class="message">${errorMessage(err)}</pre>${hint ? html`<div class="hint"><strong>Hint</strong> ${hint}</div>` : ''}</div>`), code >= 400 ? code : 500);
  });

  app.get('/static/:name', async (req, reply) => {
    const a = asset((req.params as { name: string }).name);
    if (!a) return reply.code(404).send('no such file');
    return reply.type(a.type).header('cache-control', 'public, max-age=3600').send(a.body);
  });

  app.get('/login', async (req, reply) => {
    const ctx = ctxOf(req, reply);
    return send(reply, page(ctx, '', 'Sign in', html`<h1>Sign in</h1><form method="post" action="${base}/login"><label>token <input type="password" name="token" autocomplete="current-password"></label> <button class="primary" type="submit">Sign in</button></form>`));
  });
  app.post('/login', async (req, reply) => {
    const token = (req.body as { token?: string } | undefined)?.token ?? '';
    if (!options.token || !sameText(token, options.token)) return send(reply, page(ctxOf(req, reply), '', 'Sign in', html`<h1>Sign in</h1><p class="error">That token is not the one this server was started with.</p>`), 401);
    return reply.header('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=${base || '/'}; HttpOnly; SameSite=Strict`).redirect(`${base}/runs`, 303);
  });

  // Every other POST: same-site only, with this session's CSRF token.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || req.url.slice(base.length).split('?')[0] === '/login') return;
    const body = req.body as { _csrf?: string } | undefined;
    const header = req.headers['x-csrf-token'];
    const why = guard.refuseCrossSite(req, typeof header === 'string' ? header : body?._csrf);
    if (why) return reply.code(403).type('text/plain; charset=utf-8').send(`Refused: ${why}.`);
  });

  app.get('/', async (_req, reply) => reply.redirect(`${base}/runs`, 302));

  app.get('/runs', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    return send(reply, await runsPage(deps, ctxOf(req, reply), {
      ...(q.pipeline ? { pipeline: q.pipeline } : {}), ...(q.state ? { state: q.state } : {}), ...(q.partition ? { partition: q.partition } : {}), ...(q.after ? { after: q.after } : {}),
    }));
  });

  app.get('/runs/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = await deps.store.getRun(id);
    if (!run) return notFound(req, reply, `No run with id "${id}".`);
    // The notice after an action is a code, and its text is made here: a link cannot put words on the page.
    const q = req.query as { done?: string; from?: string };
    const from = q.from && /^[A-Za-z0-9_.:-]{1,100}$/.test(q.from) ? q.from : undefined;
    const notices: Record<string, string> = {
      retried: from && from !== run.id ? `Retry of run ${from} started as run ${run.id}.` : `Retrying run ${run.id}.`,
      'not-retryable': `Run ${run.id} is ${run.state}: only a failed or cancelled run can be retried.`,
      'cancel-requested': `Cancel requested for run ${run.id}.`,
      'already-finished': `Run ${run.id} is already ${run.state}.`,
    };
    return send(reply, await runPage(deps, ctxOf(req, reply), run, q.done && Object.hasOwn(notices, q.done) ? notices[q.done] : undefined));
  });

  app.get('/runs/:id/live', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = await deps.store.getRun(id);
    if (!run) return reply.code(404).type('text/html; charset=utf-8').send(html`<section id="run-live"><p>No run with id "${id}".</p></section>`.text);
    return send(reply, await runLive(deps, ctxOf(req, reply), run));
  });

  app.post('/runs/:id/retry', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = await deps.store.getRun(id);
    if (!run) return notFound(req, reply, `No run with id "${id}".`);
    if (!deps.actions) return reply.code(501).type('text/plain; charset=utf-8').send('This server cannot retry runs.');
    if (run.state === 'succeeded' || run.state === 'pending' || run.state === 'running') {
      return reply.redirect(`${base}/runs/${encodeURIComponent(id)}?done=not-retryable`, 303);
    }
    const { runId } = await deps.actions.retry(id);
    return reply.redirect(`${base}/runs/${encodeURIComponent(runId)}?done=retried&from=${encodeURIComponent(id)}`, 303);
  });

  app.post('/runs/:id/cancel', async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = await deps.store.getRun(id);
    if (!run) return notFound(req, reply, `No run with id "${id}".`);
    if (!deps.actions) return reply.code(501).type('text/plain; charset=utf-8').send('This server cannot cancel runs.');
    if (run.state !== 'pending' && run.state !== 'running') {
      return reply.redirect(`${base}/runs/${encodeURIComponent(id)}?done=already-finished`, 303);
    }
    await deps.actions.cancel(id, 'cancelled from the web UI');
    return reply.redirect(`${base}/runs/${encodeURIComponent(id)}?done=cancel-requested`, 303);
  });

  app.get('/schedules', async (req, reply) => send(reply, await schedulesPage(deps, ctxOf(req, reply))));
  app.get('/schedules/live', async (req, reply) => send(reply, await schedulesLive(deps, ctxOf(req, reply))));

  app.get('/datasets', async (req, reply) => send(reply, await datasetsPage(deps, ctxOf(req, reply))));
  app.get('/datasets/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const version = parseVersion((req.query as { version?: string }).version);
    const body = await datasetPage(deps, ctxOf(req, reply), name, version);
    return body ? send(reply, body) : notFound(req, reply, `No dataset "${name}"${version === undefined ? '' : ` version ${version}`}.`);
  });

  app.get('/models', async (req, reply) => send(reply, await modelsPage(deps, ctxOf(req, reply))));
  app.get('/models/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const body = await modelPage(deps, ctxOf(req, reply), name, parseVersion((req.query as { version?: string }).version));
    return body ? send(reply, body) : notFound(req, reply, `No model "${name}".`);
  });
  app.get('/models/:name/compare', async (req, reply) => {
    const { name } = req.params as { name: string };
    const q = req.query as { a?: string; b?: string };
    const a = parseVersion(q.a);
    const b = parseVersion(q.b);
    if (a === undefined || b === undefined) return notFound(req, reply, 'Name two versions to compare: ?a=1&b=2.');
    const body = await comparePage(deps, ctxOf(req, reply), name, a, b);
    return body ? send(reply, body) : notFound(req, reply, `Model "${name}" has no version ${a} or ${b}.`);
  });

  app.get('/monitoring', async (req, reply) => send(reply, await monitoringPage(deps, ctxOf(req, reply))));
  app.get('/monitoring/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const body = await driftPage(deps, ctxOf(req, reply), name, parseVersion((req.query as { batch?: string }).batch));
    return body ? send(reply, body) : notFound(req, reply, `No drift dataset "${name}".`);
  });
}

function parseVersion(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}
