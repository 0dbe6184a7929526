/**
 * The UI's static files: htmx and uPlot served from their npm packages (resolved at run time, so there is
 * no bundler and no build step), and the UI's own small script and style sheet, kept here as text so they
 * ship inside dist/ with the compiled code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Asset { body: Buffer | string; type: string }

/** name -> [npm path, content type]. */
const VENDOR: Record<string, [string, string]> = {
  'htmx.min.js': ['htmx.org/dist/htmx.min.js', 'text/javascript; charset=utf-8'],
  'uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  'uPlot.min.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
};

/**
 * Draws every chart a page (or an htmx fragment) holds: a `<div data-chart="id">` with a
 * `<script type="application/json" id="id">` of `{ x, xLabels?, series: [{ label, values, color?, dash? }], yLabel? }`.
 */
const APP_JS = String.raw`(function () {
  'use strict';
  var palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
  function draw(root) {
    var nodes = (root || document).querySelectorAll('[data-chart]:not([data-drawn])');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var src = document.getElementById(el.getAttribute('data-chart'));
      if (!src || typeof uPlot === 'undefined') continue;
      var spec = JSON.parse(src.textContent);
      var labels = spec.xLabels || null;
      var series = [{ label: spec.xLabel || 'x', value: function (u, v) { return v == null ? '' : labels ? (labels[v] || '') : v; } }];
      var data = [spec.x];
      spec.series.forEach(function (s, k) {
        series.push({ label: s.label, stroke: s.color || palette[k % palette.length], width: 2, dash: s.dash || undefined, points: { show: true, size: 6 }, spanGaps: true });
        data.push(s.values);
      });
      var axes = [
        { values: labels ? function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && labels[v] != null ? labels[v] : ''; }); } : undefined, space: 60 },
        { label: spec.yLabel || '', size: 60 },
      ];
      var width = Math.max(320, el.clientWidth || 640);
      el.setAttribute('data-drawn', '1');
      new uPlot({ width: width, height: spec.height || 240, series: series, axes: axes, scales: { x: { time: false } }, legend: { live: true } }, data, el);
    }
  }
  document.addEventListener('DOMContentLoaded', function () { draw(document); });
  document.addEventListener('htmx:afterSettle', function (e) { draw(e.target); });
})();
`;

const APP_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f9fafb; --ok: #16a34a; --bad: #dc2626; --warn: #ca8a04; --run: #2563eb; --idle: #9ca3af; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top a { color: var(--fg); text-decoration: none; font-weight: 500; }
header.top a.brand { font-weight: 700; }
header.top a.here { color: var(--run); }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h1 { font-size: 1.35rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
a { color: #1d4ed8; }
table { border-collapse: collapse; margin: .3rem 0 1rem; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
.state { display: inline-block; padding: 0 .45rem; border-radius: .7rem; font-size: .8rem; font-weight: 600; color: #fff; background: var(--idle); }
.state-succeeded, .state-passed { background: var(--ok); }
.state-failed { background: var(--bad); }
.state-running, .state-queued { background: var(--run); }
.state-cancelled, .state-skipped, .state-pending { background: var(--idle); }
.state-warned { background: var(--warn); }
.error { border-left: 4px solid var(--bad); background: #fef2f2; padding: .5rem .8rem; margin: .5rem 0; }
.error pre { background: transparent; border: 0; padding: 0; margin: .2rem 0; }
.hint { border-left: 4px solid var(--warn); background: #fefce8; padding: .4rem .8rem; margin: .4rem 0; }
form.filters { display: flex; gap: .6rem; align-items: end; flex-wrap: wrap; margin-bottom: .8rem; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
input, select, button { font: inherit; padding: .25rem .45rem; }
button { cursor: pointer; border: 1px solid #9ca3af; background: #fff; border-radius: .3rem; }
button.primary { background: var(--run); color: #fff; border-color: var(--run); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
.actions { display: flex; gap: .5rem; margin: .5rem 0; }
.actions form { margin: 0; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .4rem 0 1rem; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
details.step { border: 1px solid var(--line); border-radius: .3rem; margin: .4rem 0; padding: .3rem .6rem; }
details.step summary { cursor: pointer; }
.graph svg, .timeline svg { max-width: 100%; height: auto; }
.chart { min-height: 60px; margin: .4rem 0 1rem; }
.hist { display: inline-block; vertical-align: middle; }
.pager { display: flex; gap: 1rem; margin: .5rem 0; }
.flash { padding: .5rem .8rem; border: 1px solid var(--line); background: #eff6ff; margin: .5rem 0; }
.delta-better { color: var(--ok); }
.delta-worse { color: var(--bad); }
ul.plain { list-style: none; margin: 0; padding: 0; }
.progress { width: 100%; max-width: 900px; height: .6rem; background: var(--line); border-radius: .3rem; overflow: hidden; margin: .3rem 0; }
.progress > div { height: 100%; background: var(--ok); }
.partition-strip { display: block; margin: .3rem 0 .6rem; }
.backfill-block { margin-bottom: 1.5rem; }
.distributions { display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); gap: .5rem 1rem; }
.distribution-chart { max-width: 100%; height: auto; }
`;

const own: Record<string, Asset> = {
  'app.js': { body: APP_JS, type: 'text/javascript; charset=utf-8' },
  'app.css': { body: APP_CSS, type: 'text/css; charset=utf-8' },
};
const cache = new Map<string, Asset>();

/** The asset named `name`, or undefined. Vendor files are read once from node_modules. */
export function asset(name: string): Asset | undefined {
  if (own[name]) return own[name];
  const vendor = VENDOR[name];
  if (!vendor) return undefined;
  let a = cache.get(name);
  if (!a) {
    a = { body: readFileSync(require.resolve(vendor[0])), type: vendor[1] };
    cache.set(name, a);
  }
  return a;
}
