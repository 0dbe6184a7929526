/**
 * Progress on the terminal while a run executes: a line when each step starts and ends, and for long
 * steps a live progress line (on a TTY) or a line every few seconds (in logs).
 */
import type { RunEvent } from '../orchestrator/index.ts';
import { formatDuration, stateMark } from './format.ts';

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): (event: RunEvent) => void {
  const tty = Boolean(stream.isTTY);
  const starts = new Map<string, number>();
  const lastPrint = new Map<string, number>();
  let live = false;
  const clearLive = (): void => { if (live) { stream.write('\r\u001b[2K'); live = false; } };
  const write = (line: string): void => { clearLive(); stream.write(`${line}\n`); };

  return (event) => {
    switch (event.type) {
      case 'run-start':
        write(`run ${event.runId}: pipeline ${event.pipeline}, ${event.steps.length} steps`);
        break;
      case 'task-start':
        starts.set(event.step, Date.now());
        write(`  > ${event.step}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
        break;
      case 'task-progress': {
        const pct = event.total > 0 ? Math.min(100, Math.round((100 * event.done) / event.total)) : 0;
        const elapsed = formatDuration(Date.now() - (starts.get(event.step) ?? Date.now()));
        const text = `    ${event.step}: ${pct}%${event.message ? ` ${event.message}` : ''} (${elapsed})`;
        if (tty) { clearLive(); stream.write(text.slice(0, (stream.columns ?? 100) - 1)); live = true; }
        else if (Date.now() - (lastPrint.get(event.step) ?? 0) > 5000) { lastPrint.set(event.step, Date.now()); write(text); }
        break;
      }
      case 'task-log':
        write(`    ${event.step}: ${event.message}`);
        break;
      case 'task-retry':
        write(`  ! ${event.step} attempt ${event.attempt} failed (${event.error}); retrying in ${formatDuration(event.delayMs)}`);
        break;
      case 'task-end':
        write(`  ${event.state === 'succeeded' ? '✓' : '✗'} ${event.step} ${stateMark(event.state, tty)} in ${formatDuration(event.durationMs)}${event.error && event.state !== 'skipped' ? `: ${firstLine(event.error)}` : ''}`);
        break;
      case 'run-end':
        write(`run ${event.runId} ${stateMark(event.state, tty)} in ${formatDuration(event.durationMs)}`);
        break;
    }
  };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
