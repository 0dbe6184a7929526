import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The flights-3m.parquet file shipped by the vega-datasets npm package (3M US flights, Jan-Jun 2001). */
export function flightsParquetPath(): string {
  const require = createRequire(import.meta.url);
  // vega-datasets' exports map hides package.json; find the package folder from its main entry.
  let dir = dirname(require.resolve('vega-datasets'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const path = join(dir, 'data', 'flights-3m.parquet');
  if (!existsSync(path)) throw new Error(`flights-3m.parquet not found at ${path}: run npm ci (vega-datasets ships it)`);
  return path;
}
