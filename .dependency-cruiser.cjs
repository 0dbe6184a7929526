// Layer rules: imports point down the list in docs/ARCHITECTURE.md, never up; no cycles.
const layers = ['core', 'frame', 'engine', 'store', 'data', 'quality', 'features', 'ml', 'registry', 'monitor', 'orchestrator', 'server', 'cli'];
const upward = layers.map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  severity: 'error',
  comment: `src/${layer} may import only layers listed before it`,
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${layers.slice(i + 1).join('|')})/` },
})).filter((r) => r.to.path !== '^src/()/');
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    {
      name: 'graphile-worker-only-in-store-queue',
      severity: 'error',
      comment: 'only src/store/queue/ imports graphile-worker (the distributed task transport)',
      from: { path: '^src/', pathNot: '^src/store/queue/' },
      to: { path: 'node_modules/graphile-worker/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
