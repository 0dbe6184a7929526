/** The page shell: navigation, the vendor scripts, the CSRF token for htmx requests. */
import { html, type SafeHtml } from './html.ts';

export interface PageContext {
  /** Path prefix of every UI link ('' or e.g. '/ui'). */
  base: string;
  csrf: string;
}

const SECTIONS: [string, string][] = [['runs', 'Runs'], ['schedules', 'Schedules'], ['datasets', 'Datasets'], ['models', 'Models'], ['monitoring', 'Monitoring']];

export function page(ctx: PageContext, section: string, title: string, body: SafeHtml): SafeHtml {
  const b = ctx.base;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Sluice</title>
<meta name="htmx-config" content='{"allowEval":false,"includeIndicatorStyles":false,"historyCacheSize":0}'>
<link rel="stylesheet" href="${b}/static/uPlot.min.css"><link rel="stylesheet" href="${b}/static/app.css">
<script src="${b}/static/htmx.min.js" defer></script><script src="${b}/static/uPlot.iife.min.js" defer></script><script src="${b}/static/app.js" defer></script>
</head><body hx-headers='${JSON.stringify({ 'X-CSRF-Token': ctx.csrf })}'>
<header class="top"><a class="brand" href="${b}/runs">Sluice</a>
${SECTIONS.map(([k, label]) => html`<a href="${b}/${k}" class="${k === section ? 'here' : ''}">${label}</a>`)}
</header>
<main>${body}</main></body></html>`;
}

export function stateBadge(state: string): SafeHtml {
  return html`<span class="state state-${state}">${state}</span>`;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}
