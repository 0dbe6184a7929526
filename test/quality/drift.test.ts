/**
 * Schema drift against the dataset's previous version (columns added, removed, retyped), handled by
 * the policy: fail, additive, warn, coerce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { csv, datasetSql } from '../../src/data/index.ts';
import { ingestValidated, suite, type DriftPolicy } from '../../src/quality/index.ts';
import { dataEnv, type DataEnv } from '../data/helpers.ts';

const checks = suite('drift', (e) => [e.notNull('id')]);

async function load(env: DataEnv, body: string, schemaDrift?: DriftPolicy, columns?: Record<string, string>) {
  const path = join(env.dir, `${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, body);
  const result = await ingestValidated(env.engine, env.catalog, {
    dataset: 'd', source: csv(path, columns ? { columns } : {}), suite: checks, lineage: env.lineage, ...(schemaDrift ? { schemaDrift } : {}),
  });
  await env.commit([...result.staged, ...result.quarantined]);
  return result;
}

test("'fail' (the default): any change stops the step and names it; nothing is registered", async () => {
  const env = await dataEnv();
  try {
    await load(env, 'id,v\n1,a\n');
    const err = await load(env, 'id,v,w\n2,b,c\n').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SluiceError && err.code === 'SCHEMA_DRIFT', String(err));
    assert.match(err.message, /Schema drift in "d" against version 1: added w VARCHAR/);
    assert.match(err.hint ?? '', /schemaDrift: 'warn'/);
    assert.equal((await env.store.listDatasetVersions('d')).length, 1);
  } finally { await env.close(); }
});

test("'additive' accepts new columns only; 'warn' accepts anything and reports it", async () => {
  const env = await dataEnv();
  try {
    await load(env, 'id,v\n1,a\n');
    const added = await load(env, 'id,v,w\n2,b,c\n', 'additive');
    assert.deepEqual(added.reports[0]!.drift?.added, [{ name: 'w', type: 'VARCHAR' }]);
    assert.equal(added.reports[0]!.status, 'warned');
    await assert.rejects(load(env, 'id,w\n3,c\n', 'additive'), /removed v VARCHAR \(policy 'additive' accepts new columns only\)/);
    const warned = await load(env, 'id,w\n3,c\n', 'warn');
    assert.deepEqual(warned.reports[0]!.drift?.removed, [{ name: 'v', type: 'VARCHAR' }]);
    assert.match(warned.reports[0]!.drift?.action ?? '', /accepted the new schema/);
  } finally { await env.close(); }
});

test("'coerce' fits the data to the previous schema: new columns dropped, missing ones NULL, retyped ones cast, values that do not fit quarantined", async () => {
  const env = await dataEnv();
  try {
    await load(env, 'id,qty,note\n1,5,a\n', undefined, { qty: 'INTEGER' });
    const result = await load(env, 'id,qty,extra\n2,7,x\n3,lots,y\n4,9.0,z\n', 'coerce', { qty: 'VARCHAR' });
    const report = result.reports[0]!;
    assert.match(report.drift!.action, /coerced to the schema of version 1 \(dropped extra\)/);
    assert.deepEqual(report.drift!.retyped, [{ name: 'qty', from: 'INTEGER', to: 'VARCHAR' }]);
    assert.deepEqual(report.rows, { input: 3, clean: 2, quarantined: 1, unparsed: 0 });
    const v2 = await env.catalog.get('d');
    assert.deepEqual(v2.schema, [{ name: 'id', type: 'BIGINT' }, { name: 'qty', type: 'INTEGER' }, { name: 'note', type: 'VARCHAR' }]);
    assert.deepEqual(await env.engine.rows(`SELECT id, qty, note FROM ${datasetSql(v2)} ORDER BY id`), [{ id: 2, qty: 7, note: null }, { id: 4, qty: 9, note: null }]);
    const q = await env.engine.rows(`SELECT id, _failed[1].reason AS r FROM ${datasetSql(await env.catalog.get('d_quarantine'))}`);
    assert.deepEqual(q, [{ id: 3, r: 'schema drift: qty = lots does not convert to INTEGER (the previous type)' }]);
  } finally { await env.close(); }
});
