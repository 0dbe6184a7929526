// Lint: typescript-eslint's recommended rules plus the project's import boundaries
// (only src/engine may import DuckDB; only src/store may import SQL drivers; only src/store/queue
// may import graphile-worker).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DUCKDB_BINDINGS = { name: '@duckdb/node-bindings', message: 'Only src/engine/ imports DuckDB.' };
const GRAPHILE = { name: 'graphile-worker', message: 'Only src/store/queue/ imports graphile-worker (the distributed task transport).' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.sluice/', 'coverage/', 'bench/python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: '@duckdb/node-api', message: 'Only src/engine/ imports DuckDB.' },
          DUCKDB_BINDINGS,
          { name: 'better-sqlite3', message: 'Only src/store/ talks to the metadata database.' },
          { name: 'pg', message: 'Only src/store/ talks to the metadata database.' },
          { name: 'kysely', message: 'Only src/store/ talks to the metadata database.' },
          GRAPHILE,
        ],
      }],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    ignores: ['src/store/queue/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@duckdb/node-api', message: 'Only src/engine/ imports DuckDB.' }, DUCKDB_BINDINGS, GRAPHILE] }],
    },
  },
  {
    files: ['src/store/queue/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@duckdb/node-api', message: 'Only src/engine/ imports DuckDB.' }, DUCKDB_BINDINGS] }],
    },
  },
);
