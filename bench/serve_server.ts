/**
 * One server process for bench:serve: `sluice` (the Fastify prediction server) or `bare` (node:http
 * calling the same Predictor with the same row checks left out: the floor a framework cannot beat).
 * Prints the URL on stdout once listening.
 *
 *   node --import tsx bench/serve_server.ts <sluice|bare> <sluice-home> <model>
 */
import { createServer } from 'node:http';
import { Frame, numberColumn, stringColumn, type Column } from '../src/frame/frame.ts';
import { ModelRegistry } from '../src/registry/index.ts';
import { ModelSet, serveModels } from '../src/server/index.ts';
import { openArtifactStore, openMetadataStore } from '../src/store/index.ts';

const [mode, home, model] = process.argv.slice(2) as [string, string, string];
const store = await openMetadataStore({ home });
const artifacts = await openArtifactStore({ home });
const registry = new ModelRegistry(store, artifacts);

if (mode === 'sluice') {
  const server = await serveModels({ registry, models: [model], port: 0, refreshMs: 2000 });
  process.stdout.write(`${server.url}\n`);
} else {
  const models = new ModelSet(registry, [model]);
  await models.refresh();
  const served = models.get(model)!;
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { rows } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rows: Record<string, unknown>[] };
      const cols = new Map<string, Column>();
      for (const { name, type } of served.predictor.signature) {
        cols.set(name, type === 'number' ? numberColumn(rows.map((r) => r[name] as number | null)) : stringColumn(rows.map((r) => r[name] as string | null)));
      }
      const p = served.predictor.predict(new Frame(cols));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ model, version: served.version, predictions: Array.from(p) }));
    });
  });
  http.listen(0, '127.0.0.1', () => {
    const a = http.address() as { port: number };
    process.stdout.write(`http://127.0.0.1:${a.port}\n`);
  });
}
