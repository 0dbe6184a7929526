/**
 * The prediction server (`sluice serve`): Fastify, chosen over Hono by measurement on these machines
 * (see bench/README.md: Fastify held more requests per second on a JSON POST with validation and a
 * bearer token, and has body limits, hooks and request injection for tests built in).
 *
 *   POST /v1/models/<name>/predict   {"rows": [{...}, ...], "output": "probability" | "class" | "value"}
 *   GET  /v1/models                  the served models, their versions and aliases
 *   GET  /healthz                    200 when every served model is loaded, else 503 naming the missing
 *   GET  /metrics                    Prometheus text format
 *
 * Each row is checked against the model's signature: a missing field, a value of the wrong type or a
 * category the model never saw is a 400 naming the row and the field. With a token, every route but
 * /healthz needs `Authorization: Bearer <token>`. Bodies are bounded (1 MiB by default).
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SluiceError, errorMessage } from '../core/errors.ts';
import { Frame, numberColumn, stringColumn, type Column } from '../frame/frame.ts';
import type { ModelSet, ServedModel } from './models.ts';

export interface ServerOptions {
  models: ModelSet;
  /** Required bearer token; none means no authentication (only sensible on 127.0.0.1). */
  token?: string;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** Most rows in one request; default 10,000. */
  maxRows?: number;
  /** Reject categories the model never saw (default), or let the model treat them as unknown. */
  unknownCategories?: 'reject' | 'allow';
  /** Path prefix of the web UI mounted on this server (e.g. '/ui'): it checks the token itself (bearer or its sign-in cookie). */
  uiPrefix?: string;
}

type Output = 'probability' | 'class' | 'value';

class RequestError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly row?: number) { super(message); }
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const { models } = options;
  const maxRows = options.maxRows ?? 10_000;
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 1024 * 1024, logger: false });

  const registry = new Registry();
  const requests = new Counter({ name: 'sluice_predict_requests_total', help: 'Prediction requests by model and HTTP status', labelNames: ['model', 'status'], registers: [registry] });
  const rowsScored = new Counter({ name: 'sluice_predict_rows_total', help: 'Rows scored', labelNames: ['model'], registers: [registry] });
  const latency = new Histogram({
    name: 'sluice_predict_duration_seconds', help: 'Time to check, score and answer a prediction request', labelNames: ['model'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry],
  });
  const served = new Gauge({ name: 'sluice_model_version', help: 'Version of each model being served', labelNames: ['model', 'alias'], registers: [registry] });
  const swaps = new Counter({ name: 'sluice_model_swaps_total', help: 'Times a served model was replaced by a newly promoted version', labelNames: ['model'], registers: [registry] });
  const previousSwap = models.onSwap;
  models.onSwap = (m, prev) => {
    served.set({ model: m.name, alias: m.alias }, m.version);
    if (prev !== undefined) swaps.inc({ model: m.name });
    previousSwap?.(m, prev);
  };
  for (const name of models.names) {
    const m = models.get(name);
    if (m) served.set({ model: name, alias: m.alias }, m.version);
  }

  const token = options.token ? Buffer.from(options.token) : undefined;
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!token || req.url === '/healthz') return;
    const ui = options.uiPrefix;
    if (ui !== undefined && (req.url === ui || req.url.startsWith(`${ui}/`) || req.url.startsWith(`${ui}?`))) return;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token', hint: 'Send `Authorization: Bearer <token>` with the token the server was started with (SLUICE_SERVE_TOKEN).' });
    }
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const hint = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? `Send at most ${options.bodyLimit ?? 1024 * 1024} bytes per request: split the rows into several requests.`
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Send JSON with `Content-Type: application/json`.' : undefined;
    await reply.code(status).send({ error: status === 500 ? `internal error: ${err.message}` : err.message, ...(hint ? { hint } : {}) });
  });

  app.get('/healthz', async (_req, reply) => {
    const missing = models.names.filter((n) => !models.get(n));
    const body = {
      status: missing.length === 0 ? 'ok' : 'unavailable',
      models: Object.fromEntries(models.names.map((n) => [n, models.get(n)?.version ?? null])),
      ...(missing.length ? { errors: Object.fromEntries(missing.map((n) => [n, models.errors.get(n) ?? 'not loaded yet'])) } : {}),
    };
    await reply.code(missing.length === 0 ? 200 : 503).send(body);
  });

  app.get('/metrics', async (_req, reply) => {
    await reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  app.get('/v1/models', async () => ({
    models: models.names.map((n) => {
      const m = models.get(n);
      return m
        ? { name: n, version: m.version, alias: m.alias, task: m.pkg.task, target: m.pkg.target, inputs: m.predictor.signature, loadedAt: new Date(m.loadedAt).toISOString() }
        : { name: n, version: null, alias: models.alias, error: models.errors.get(n) ?? 'not loaded yet' };
    }),
  }));

  app.post('/v1/models/:name/predict', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const name = req.params.name;
    const t0 = performance.now();
    const model = models.get(name);
    if (!model) {
      const known = models.names.includes(name);
      requests.inc({ model: known ? name : '(unknown)', status: known ? 503 : 404 });
      return reply.code(known ? 503 : 404).send(known
        ? { error: `model "${name}" has no loaded version (${models.errors.get(name) ?? 'not loaded yet'})`, hint: `Promote a version to "${models.alias}": sluice models promote ${name} <version>.` }
        : { error: `model "${name}" is not served here`, hint: `Served models: ${models.names.join(', ')}.` });
    }
    try {
      const { frame, output } = parseRequest(req.body, model, maxRows, options.unknownCategories ?? 'reject');
      const raw = model.predictor.predict(frame);
      const predictions = shape(raw, frame.numRows, model, output);
      rowsScored.inc({ model: name }, frame.numRows);
      requests.inc({ model: name, status: 200 });
      latency.observe({ model: name }, (performance.now() - t0) / 1000);
      return { model: name, version: model.version, output, predictions };
    } catch (err) {
      const status = err instanceof RequestError ? err.status : err instanceof SluiceError ? 400 : 500;
      requests.inc({ model: name, status });
      const body: Record<string, unknown> = { error: errorMessage(err) };
      if (err instanceof RequestError) {
        if (err.field !== undefined) body['field'] = err.field;
        if (err.row !== undefined) body['row'] = err.row;
      }
      if (err instanceof SluiceError && err.hint) body['hint'] = err.hint;
      return reply.code(status).send(body);
    }
  });

  return app;
}

function parseRequest(body: unknown, model: ServedModel, maxRows: number, unknown: 'reject' | 'allow'): { frame: Frame; output: Output } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(400, 'the body must be a JSON object: {"rows": [{...}]}');
  }
  const { rows, output } = body as { rows?: unknown; output?: unknown };
  if (!Array.isArray(rows)) throw new RequestError(400, '"rows" must be an array of objects, one per row to score', 'rows');
  if (rows.length === 0) throw new RequestError(400, '"rows" is empty: send at least one row', 'rows');
  if (rows.length > maxRows) throw new RequestError(413, `${rows.length} rows in one request; the limit is ${maxRows}`, 'rows');
  const task = model.pkg.task;
  const chosen = (output ?? (task === 'regression' ? 'value' : 'probability')) as Output;
  const allowed: Output[] = task === 'regression' ? ['value'] : ['probability', 'class'];
  if (!allowed.includes(chosen)) {
    throw new RequestError(400, `"output" must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} for a ${task} model, not ${JSON.stringify(output)}`, 'output');
  }
  const columns = new Map<string, Column>();
  for (const { name, type } of model.predictor.signature) {
    if (type === 'number') {
      const values = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = field(rows[i], name, i);
        if (v === null) values[i] = NaN;
        else if (typeof v === 'number' && Number.isFinite(v)) values[i] = v;
        else throw new RequestError(400, `row ${i}: field "${name}" must be a number (or null), got ${describe(v)}`, name, i);
      }
      columns.set(name, numberColumn(values));
    } else {
      const known = model.categories.get(name);
      const values: (string | null)[] = new Array<string | null>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = field(rows[i], name, i);
        if (v !== null && typeof v !== 'string') throw new RequestError(400, `row ${i}: field "${name}" must be a string (or null), got ${describe(v)}`, name, i);
        if (v !== null && known && unknown === 'reject' && !known.has(v)) {
          throw new RequestError(400, `row ${i}: field "${name}" has category ${JSON.stringify(v)}, which model "${model.name}" v${model.version} never saw in training`, name, i);
        }
        values[i] = v;
      }
      columns.set(name, stringColumn(values));
    }
  }
  return { frame: new Frame(columns), output: chosen };
}

function field(row: unknown, name: string, i: number): unknown {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new RequestError(400, `row ${i} must be a JSON object of field values, got ${describe(row)}`, undefined, i);
  if (!(name in row)) throw new RequestError(400, `row ${i}: field "${name}" is missing (the model reads ${name}; send null for a missing value)`, name, i);
  return (row as Record<string, unknown>)[name];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}

/** Predictions per row: a number, a class name, or per-class probabilities for multiclass models. */
function shape(raw: Float64Array, rows: number, model: ServedModel, output: Output): unknown[] {
  const width = Math.max(1, Math.round(raw.length / rows));
  // Class names as the label held them (text, numbers, booleans); packages made before they were kept have none.
  const names = model.predictor.classes ?? undefined;
  const out = new Array<unknown>(rows);
  for (let i = 0; i < rows; i++) {
    if (width === 1) {
      const p = raw[i]!;
      out[i] = output === 'class' ? (names?.[p >= 0.5 ? 1 : 0] ?? (p >= 0.5 ? 1 : 0)) : p;
    } else {
      const probs = Array.from(raw.subarray(i * width, (i + 1) * width));
      if (output === 'class') {
        let best = 0;
        for (let k = 1; k < width; k++) if (probs[k]! > probs[best]!) best = k;
        out[i] = names?.[best] ?? best;
      } else {
        out[i] = names ? Object.fromEntries(probs.map((p, k) => [String(names[k] ?? k), p])) : probs;
      }
    }
  }
  return out;
}
