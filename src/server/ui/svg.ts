/**
 * Drawings made on the server as inline SVG: a run's step graph (laid out by dagre), the timeline of its
 * steps, and a profile histogram. Every label goes through `html`, so step names are escaped.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { html, type SafeHtml } from './html.ts';

const STATE_COLOR: Record<string, string> = {
  succeeded: '#16a34a', failed: '#dc2626', running: '#2563eb', queued: '#60a5fa', pending: '#9ca3af', skipped: '#d1d5db', cancelled: '#6b7280',
};

export interface GraphNode { name: string; state: string; href: string; detail: string }

/** The step graph, left to right; `edges` are [from, to] step names. */
export function stepGraph(nodes: readonly GraphNode[], edges: readonly [string, string][]): SafeHtml {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 46, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  // Width from the longer of the two lines (13 px bold name, 11 px state line), capped.
  for (const n of nodes) g.setNode(n.name, { width: Math.max(110, Math.min(300, Math.max(8.2 * n.name.length, 6.6 * (n.state.length + (n.detail ? n.detail.length + 3 : 0))) + 28)), height: 42 });
  const names = new Set(nodes.map((n) => n.name));
  for (const [a, b] of edges) if (names.has(a) && names.has(b)) g.setEdge(a, b);
  layout(g);
  const { width = 0, height = 0 } = g.graph();
  const paths = g.edges().map((e: { v: string; w: string }) => {
    const pts: { x: number; y: number }[] = (g.edge(e) as { points?: { x: number; y: number }[] }).points ?? [];
    const d = pts.map((p: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return html`<path d="${d}" fill="none" stroke="#9ca3af" stroke-width="1.5" marker-end="url(#arrow)"/>`;
  });
  const boxes = nodes.map((n) => {
    const p = g.node(n.name);
    const x = p.x - p.width / 2;
    const y = p.y - p.height / 2;
    const color = STATE_COLOR[n.state] ?? '#9ca3af';
    return html`<a href="${n.href}" class="node" data-step="${n.name}" data-state="${n.state}"><g>
<title>${n.name}: ${n.state}${n.detail ? ` (${n.detail})` : ''}</title>
<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${p.width}" height="${p.height}" rx="6" fill="#fff" stroke="${color}" stroke-width="2.5"/>
<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="6" height="${p.height}" rx="3" fill="${color}"/>
<text x="${(x + 14).toFixed(1)}" y="${(y + 17).toFixed(1)}" font-size="13" font-weight="600" fill="#111827">${n.name}</text>
<text x="${(x + 14).toFixed(1)}" y="${(y + 33).toFixed(1)}" font-size="11" fill="${color}">${n.state}${n.detail ? ` · ${n.detail}` : ''}</text>
</g></a>`;
  });
  return html`<svg class="step-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" role="img" aria-label="step graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9ca3af"/></marker></defs>
${paths}${boxes}</svg>`;
}

export interface TimelineBar { name: string; state: string; start: number | null; end: number | null }

/** A Gantt chart of the steps: one bar per step from start to end (to `now` while running). */
export function timeline(bars: readonly TimelineBar[], now: number): SafeHtml {
  const started = bars.filter((b) => b.start !== null);
  if (started.length === 0) return html`<p class="muted">No step has started yet.</p>`;
  const t0 = Math.min(...started.map((b) => b.start!));
  const t1 = Math.max(...started.map((b) => b.end ?? now), t0 + 1);
  const label = 150;
  const w = 720;
  const row = 22;
  const scale = (t: number): number => label + ((t - t0) / (t1 - t0)) * (w - label - 10);
  const rows = bars.map((b, i) => {
    const y = 18 + i * row;
    const name = html`<text x="0" y="${y + 14}" font-size="12" fill="#111827">${b.name.length > 22 ? `${b.name.slice(0, 21)}…` : b.name}</text>`;
    if (b.start === null) return html`${name}<text x="${label}" y="${y + 14}" font-size="11" fill="#9ca3af">${b.state}</text>`;
    const x0 = scale(b.start);
    const x1 = Math.max(scale(b.end ?? now), x0 + 2);
    const ms = (b.end ?? now) - b.start;
    return html`${name}<rect class="bar" data-step="${b.name}" x="${x0.toFixed(1)}" y="${y + 3}" width="${(x1 - x0).toFixed(1)}" height="${row - 8}" rx="2" fill="${STATE_COLOR[b.state] ?? '#9ca3af'}"><title>${b.name}: ${ms} ms (${b.state})</title></rect>`;
  });
  const h = 26 + bars.length * row;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = label + f * (w - label - 10);
    const anchor = f === 0 ? 'start' : f === 1 ? 'end' : 'middle';
    return html`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="12" y2="${h}" stroke="#e5e7eb"/><text x="${x.toFixed(1)}" y="10" font-size="10" fill="#6b7280" text-anchor="${anchor}">${fmtMs(f * (t1 - t0))}</text>`;
  });
  return html`<svg class="timeline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="step timeline">${ticks}${rows}</svg>`;
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

/** A small bar chart of a profile's histogram (shares per bin) or top values. */
export function bars(values: readonly { label: string; share: number }[], width = 180, height = 44): SafeHtml {
  if (values.length === 0) return html``;
  const max = Math.max(...values.map((v) => v.share), 1e-12);
  const bw = width / values.length;
  const rects = values.map((v, i) => {
    const h = (v.share / max) * (height - 2);
    return html`<rect x="${(i * bw + 0.5).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${Math.max(bw - 1, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="#60a5fa"><title>${v.label}: ${(v.share * 100).toFixed(1)}%</title></rect>`;
  });
  return html`<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="histogram">${rects}</svg>`;
}

/**
 * Two versions' metrics side by side: per metric a pair of bars on that metric's own scale (metrics
 * differ in range: an AUC near 0.7, an RMSE in the thousands), with the values written beside them.
 */
export function metricPairs(metrics: readonly { name: string; a: number | undefined; b: number | undefined }[], labels: [string, string]): SafeHtml {
  const row = 40;
  const w = 560;
  const left = 150;
  const span = w - left - 90;
  const colors = ['#2563eb', '#dc2626'];
  const rows = metrics.map((m, i) => {
    const y = 24 + i * row;
    const max = Math.max(Math.abs(m.a ?? 0), Math.abs(m.b ?? 0), 1e-12);
    const bar = (v: number | undefined, k: number): SafeHtml => {
      if (v === undefined || !Number.isFinite(v)) return html`<text x="${left}" y="${y + 12 + k * 15}" font-size="11" fill="#9ca3af">${labels[k]}: none</text>`;
      const len = (Math.abs(v) / max) * span;
      return html`<rect class="pair" data-metric="${m.name}" data-version="${labels[k]}" x="${left}" y="${y + 2 + k * 15}" width="${len.toFixed(1)}" height="12" fill="${colors[k]}"><title>${m.name} ${labels[k]}: ${v}</title></rect><text x="${(left + len + 6).toFixed(1)}" y="${y + 12 + k * 15}" font-size="11" fill="#111827">${Number(v.toPrecision(4))}</text>`;
    };
    return html`<text x="0" y="${y + 16}" font-size="12" fill="#111827">${m.name.length > 22 ? `${m.name.slice(0, 21)}…` : m.name}</text>${bar(m.a, 0)}${bar(m.b, 1)}`;
  });
  const h = 30 + metrics.length * row;
  const legend = labels.map((l, k) => html`<rect x="${left + k * 80}" y="2" width="10" height="10" fill="${colors[k]}"/><text x="${left + 14 + k * 80}" y="11" font-size="11">${l}</text>`);
  return html`<svg class="compare-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="metrics of both versions">${legend}${rows}</svg>`;
}

/** A feature's distribution as the drift report stores it (monitor/drift.ts, DriftHistogram). */
export type Distribution =
  | { kind: 'numeric'; edges: number[]; shares: number[]; under: number; over: number }
  | { kind: 'categorical'; labels: string[]; shares: number[]; other: number };

/**
 * Reference and current distributions side by side: per bin (or category) a pair of bars on one scale,
 * reference in blue, current in orange. Numeric end bars ("below", "above" the reference's range) and the
 * categorical "other" are drawn only when either side has a share there.
 */
export function distributionPair(ref: Distribution, cur: Distribution): SafeHtml {
  const bins: { label: string; r: number; c: number }[] = [];
  if (ref.kind === 'numeric' && cur.kind === 'numeric') {
    const fmt = (x: number): string => String(Number(x.toPrecision(4)));
    if (ref.under + cur.under > 0) bins.push({ label: `below ${fmt(ref.edges[0]!)}`, r: ref.under, c: cur.under });
    ref.shares.forEach((s, i) => bins.push({ label: `${fmt(ref.edges[i]!)} to ${fmt(ref.edges[i + 1]!)}`, r: s, c: cur.shares[i] ?? 0 }));
    if (ref.over + cur.over > 0) bins.push({ label: `above ${fmt(ref.edges.at(-1)!)}`, r: ref.over, c: cur.over });
  } else if (ref.kind === 'categorical' && cur.kind === 'categorical') {
    ref.labels.forEach((l, i) => bins.push({ label: l, r: ref.shares[i] ?? 0, c: cur.shares[i] ?? 0 }));
    if (ref.other + cur.other > 0) bins.push({ label: 'other', r: ref.other, c: cur.other });
  }
  if (bins.length === 0) return html``;
  const w = 640;
  const left = 36;
  const top = 18;
  const plot = 120;
  const categorical = ref.kind === 'categorical';
  const bottom = categorical ? 56 : 20;
  const h = top + plot + bottom;
  const max = Math.max(...bins.map((x) => Math.max(x.r, x.c)), 1e-12);
  const group = (w - left - 6) / bins.length;
  const bar = Math.max(1, group / 2 - 1);
  const y = (share: number): number => top + plot - (share / max) * plot;
  const rects = bins.map((x, i) => {
    const x0 = left + i * group;
    const pair = ([['reference', x.r, '#2563eb', 0], ['current', x.c, '#ea580c', 1]] as const).map(([which, share, color, k]) => html`<rect class="${which}" data-bin="${i}" x="${(x0 + k * bar).toFixed(1)}" y="${y(share).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + plot - y(share)).toFixed(1)}" fill="${color}"><title>${x.label}, ${which}: ${(share * 100).toFixed(1)}%</title></rect>`);
    const label = categorical
      ? html`<text x="${(x0 + group / 2).toFixed(1)}" y="${top + plot + 12}" font-size="10" fill="#374151" text-anchor="end" transform="rotate(-35 ${(x0 + group / 2).toFixed(1)} ${top + plot + 12})">${x.label.length > 12 ? `${x.label.slice(0, 11)}…` : x.label}</text>`
      : '';
    return html`${pair}${label}`;
  });
  // Numeric: the reference range's ends and middle under the axis.
  const axis = categorical ? '' : (() => {
    const n = ref as Extract<Distribution, { kind: 'numeric' }>;
    const first = left + (n.under + (cur as typeof n).under > 0 ? group : 0);
    const last = first + n.shares.length * group;
    const fmt = (x: number): string => String(Number(x.toPrecision(4)));
    return html`<text x="${first.toFixed(1)}" y="${top + plot + 14}" font-size="10" fill="#374151">${fmt(n.edges[0]!)}</text><text x="${((first + last) / 2).toFixed(1)}" y="${top + plot + 14}" font-size="10" fill="#374151" text-anchor="middle">${fmt(n.edges[Math.floor(n.shares.length / 2)]!)}</text><text x="${last.toFixed(1)}" y="${top + plot + 14}" font-size="10" fill="#374151" text-anchor="end">${fmt(n.edges.at(-1)!)}</text>`;
  })();
  const legend = html`<rect x="${left}" y="2" width="10" height="10" fill="#2563eb"/><text x="${left + 14}" y="11" font-size="11">reference</text><rect x="${left + 90}" y="2" width="10" height="10" fill="#ea580c"/><text x="${left + 104}" y="11" font-size="11">current</text><text x="0" y="${top + 8}" font-size="10" fill="#6b7280">${(max * 100).toFixed(0)}%</text>`;
  return html`<svg class="distribution-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="reference and current distributions">${legend}<line x1="${left}" x2="${w - 6}" y1="${top + plot}" y2="${top + plot}" stroke="#9ca3af"/>${rects}${axis}</svg>`;
}
