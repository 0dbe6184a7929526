// The prediction server against a real SQLite metadata store, real artifacts and real trained models:
// requests through Fastify's injection, and the hot swap under load over a real socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { ModelRegistry, trainModel } from '../../src/registry/index.ts';
import { buildServer, ModelSet, serveModels } from '../../src/server/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';

const CITIES = ['ATL', 'BOS', 'DEN', 'JFK'];

function data(n: number, shift: number): Frame {
  const distance: number[] = [];
  const origin: string[] = [];
  const late: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = ((i * 37) % 100) / 10;
    const c = CITIES[i % CITIES.length]!;
    distance.push(d);
    origin.push(c);
    late.push(d + (c === 'JFK' ? 2 : 0) + shift + (((i * 7) % 5) - 2) > 5 ? 1 : 0);
  }
  return Frame.from({ distance: numberColumn(distance), origin: stringColumn(origin), late: numberColumn(late) });
}

async function setup(): Promise<{ registry: ModelRegistry; dispose(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const registry = new ModelRegistry(store, artifacts);
  return { registry, async dispose() { await store.close(); await rm(home, { recursive: true, force: true }); } };
}

async function register(registry: ModelRegistry, name: string, shift: number, alias = 'champion'): Promise<number> {
  const model = await trainModel(data(400, shift), { label: 'late', task: 'binary', numeric: ['distance'], categorical: ['origin'], estimator: { type: 'logistic-regression', C: 1 } });
  const ref = await registry.commit(await registry.stage(name, model.toPackage({ metrics: { shift } }), { runId: null, step: null, inputs: [] }));
  await registry.setAlias(name, alias, ref.version);
  return ref.version;
}

test('serves the champion: probabilities equal the model\'s own, classes, metrics, health', async () => {
  const { registry, dispose } = await setup();
  try {
    await register(registry, 'delay', 0);
    const models = new ModelSet(registry, ['delay']);
    await models.refresh();
    const app = buildServer({ models });
    const rows = [{ distance: 1.5, origin: 'ATL' }, { distance: 8, origin: 'JFK' }, { distance: null, origin: null }];
    const res = await app.inject({ method: 'POST', url: '/v1/models/delay/predict', payload: { rows } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { version: number; predictions: number[] };
    assert.equal(body.version, 1);
    const own = models.get('delay')!.predictor.predict(Frame.from({ distance: numberColumn([1.5, 8, null]), origin: stringColumn(['ATL', 'JFK', null]) }));
    assert.deepEqual(body.predictions, Array.from(own));
    assert.ok(body.predictions[1]! > body.predictions[0]!, 'a long JFK flight is more likely late');
    const classes = (await app.inject({ method: 'POST', url: '/v1/models/delay/predict', payload: { rows, output: 'class' } })).json() as { predictions: number[] };
    assert.deepEqual(classes.predictions, Array.from(own, (p) => (p >= 0.5 ? 1 : 0)));
    const health = await app.inject({ url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok', models: { delay: 1 } });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /sluice_predict_requests_total\{model="delay",status="200"\} 2/);
    assert.match(metrics, /sluice_predict_rows_total\{model="delay"\} 6/);
    assert.match(metrics, /sluice_predict_duration_seconds_count\{model="delay"\} 2/);
    await app.close();
  } finally { await dispose(); }
});

test('bad requests are 4xx answers that name the row and the field', async () => {
  const { registry, dispose } = await setup();
  try {
    await register(registry, 'delay', 0);
    const models = new ModelSet(registry, ['delay']);
    await models.refresh();
    const app = buildServer({ models, bodyLimit: 4096 });
    const post = async (payload: unknown, url = '/v1/models/delay/predict'): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await app.inject({ method: 'POST', url, payload: payload as object });
      return { status: res.statusCode, body: res.json() };
    };
    let r = await post({ rows: [{ distance: 1, origin: 'ATL' }, { origin: 'BOS' }] });
    assert.equal(r.status, 400);
    assert.deepEqual([r.body['field'], r.body['row']], ['distance', 1]);
    assert.match(String(r.body['error']), /row 1: field "distance" is missing/);
    r = await post({ rows: [{ distance: 'far', origin: 'ATL' }] });
    assert.equal(r.status, 400);
    assert.match(String(r.body['error']), /row 0: field "distance" must be a number \(or null\), got the string "far"/);
    r = await post({ rows: [{ distance: 2, origin: 'XYZ' }] });
    assert.equal(r.status, 400);
    assert.equal(r.body['field'], 'origin');
    assert.match(String(r.body['error']), /category "XYZ", which model "delay" v1 never saw in training/);
    r = await post({ rows: [{ distance: 2, origin: 7 }] });
    assert.match(String(r.body['error']), /field "origin" must be a string/);
    r = await post({ rows: 'all of them' });
    assert.deepEqual([r.status, r.body['field']], [400, 'rows']);
    r = await post({ rows: [] });
    assert.match(String(r.body['error']), /"rows" is empty/);
    r = await post({ rows: [{ distance: 1, origin: 'ATL' }], output: 'value' });
    assert.match(String(r.body['error']), /"output" must be one of "probability", "class" for a binary model/);
    r = await post({ rows: Array.from({ length: 200 }, () => ({ distance: 1, origin: 'ATL' })) });
    assert.equal(r.status, 413);
    assert.match(String(r.body['hint']), /at most 4096 bytes/);
    r = await post({ rows: [] }, '/v1/models/nope/predict');
    assert.equal(r.status, 404);
    assert.match(String(r.body['hint']), /Served models: delay/);
    const broken = await app.inject({ method: 'POST', url: '/v1/models/delay/predict', headers: { 'content-type': 'application/json' }, payload: '{"rows": [' });
    assert.equal(broken.statusCode, 400);
    // With 'allow', an unseen category is the model's "unknown".
    const lenient = buildServer({ models, unknownCategories: 'allow' });
    assert.equal((await lenient.inject({ method: 'POST', url: '/v1/models/delay/predict', payload: { rows: [{ distance: 2, origin: 'XYZ' }] } })).statusCode, 200);
    await lenient.close();
    await app.close();
  } finally { await dispose(); }
});

test('a bearer token guards every route but /healthz; beyond loopback a token is required', async () => {
  const { registry, dispose } = await setup();
  try {
    await register(registry, 'delay', 0);
    const models = new ModelSet(registry, ['delay']);
    await models.refresh();
    const app = buildServer({ models, token: 's3cret-token' });
    const payload = { rows: [{ distance: 1, origin: 'ATL' }] };
    assert.equal((await app.inject({ method: 'POST', url: '/v1/models/delay/predict', payload })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/v1/models/delay/predict', payload, headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/v1/models/delay/predict', payload, headers: { authorization: 'Bearer s3cret-token' } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    await app.close();
    await assert.rejects(serveModels({ registry, models: ['delay'], host: '0.0.0.0', port: 0 }), /Refusing to serve on 0\.0\.0\.0 without a token/);
  } finally { await dispose(); }
});

test('a model with no champion yet is a 503 on /healthz and on predict, and is served once promoted', async () => {
  const { registry, dispose } = await setup();
  try {
    await register(registry, 'delay', 0, 'challenger');
    const server = await serveModels({ registry, models: ['delay'], port: 0, refreshMs: 60_000 });
    try {
      let res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 503);
      assert.match(JSON.stringify(await res.json()), /no alias \\"champion\\"/);
      res = await fetch(`${server.url}/v1/models/delay/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [{ distance: 1, origin: 'ATL' }] }) });
      assert.equal(res.status, 503);
      await registry.setAlias('delay', 'champion', 1);
      await server.refresh();
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally { await server.close(); }
  } finally { await dispose(); }
});

test('a promotion is picked up without a restart, and no request fails or sees half a model during the swap', async () => {
  const { registry, dispose } = await setup();
  try {
    await register(registry, 'delay', 0);
    const server = await serveModels({ registry, models: ['delay'], port: 0, refreshMs: 20 });
    try {
      const v1 = server.models.get('delay')!.predictor;
      const row = { distance: 4, origin: 'DEN' };
      const expectedV1 = v1.predict(Frame.from({ distance: numberColumn([4]), origin: stringColumn(['DEN']) }))[0];
      const seen: { version: number; p: number }[] = [];
      let failures = 0;
      let stop = false;
      const client = async (): Promise<void> => {
        while (!stop) {
          const res = await fetch(`${server.url}/v1/models/delay/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [row] }) });
          if (res.status !== 200) { failures++; continue; }
          const body = await res.json() as { version: number; predictions: number[] };
          seen.push({ version: body.version, p: body.predictions[0]! });
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await new Promise((r) => setTimeout(r, 150));
      await register(registry, 'delay', 3); // v2 becomes champion; the 20 ms timer picks it up
      const deadline = Date.now() + 5000;
      while (server.models.get('delay')?.version !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 150));
      stop = true;
      await Promise.all(clients);
      assert.equal(failures, 0, 'no request failed during the swap');
      const v2 = server.models.get('delay')!.predictor;
      const expectedV2 = v2.predict(Frame.from({ distance: numberColumn([4]), origin: stringColumn(['DEN']) }))[0];
      assert.notEqual(expectedV1, expectedV2);
      assert.ok(seen.some((s) => s.version === 1) && seen.some((s) => s.version === 2), 'both versions answered');
      for (const s of seen) assert.equal(s.p, s.version === 1 ? expectedV1 : expectedV2, 'each answer is wholly one version\'s');
    } finally { await server.close(); }
  } finally { await dispose(); }
});
