/**
 * Screenshots of the web UI after the flights demo, for docs/screenshots/flights-*.png: what a user sees
 * after `npm run demo` (the six-month backfill). Starts `sluice ui` on the demo's home (SLUICE_HOME, or
 * .sluice), drives Debian's chromium with playwright-core, and saves one full-page PNG per view.
 *
 *   npm run demo && node --import tsx scripts/flights-screenshots.ts [out-folder]
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'docs', 'screenshots'));
mkdirSync(out, { recursive: true });

const ui = spawn(process.execPath, [join(root, 'bin', 'sluice.js'), 'ui', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((res, rej) => {
  let buf = '';
  ui.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /Sluice UI at (http:\/\/\S+?)[;\s]/.exec(buf); if (m) res(m[1]!); });
  ui.once('exit', (code) => rej(new Error(`sluice ui exited with ${code} before listening`)));
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = async (name: string, path: string, ready?: string): Promise<void> => {
    await page.goto(`${url}${path}`);
    if (ready) await page.waitForSelector(ready, { timeout: 10_000 });
    await page.waitForTimeout(300); // charts draw after load
    await page.screenshot({ path: join(out, `flights-${name}.png`), fullPage: true });
    console.log(`flights-${name}.png  ${path}`);
  };
  await shot('runs', '/runs?pipeline=flights');
  // The June run: the last month of the backfill.
  await page.goto(`${url}/runs?pipeline=flights&partition=2001-06`);
  const june = await page.locator('table.runs tbody tr a[href^="/runs/run_"]').first().getAttribute('href');
  if (june) await shot('run', june);
  await shot('schedules', '/schedules');
  await shot('dataset', '/datasets/flights');
  await shot('model', '/models/flights_delay');
  await shot('model-compare', '/models/flights_delay/compare?a=1&b=6');
  await shot('monitoring', '/monitoring', 'canvas');
  await shot('drift', '/monitoring/flights_drift', 'svg');
} finally {
  await browser.close();
  ui.kill('SIGTERM');
}
