/**
 * Progress on the terminal while a run executes: a line when each step starts and ends, and for long
 * steps a live progress line (on a TTY) or a line every few seconds (in logs).
 */
import type { RunEvent } from '../orchestrator/index.ts';
import { formatDuration, stateMark } from './format.ts';

export interface ProgressReporter {
  onEvent: (event: RunEvent) => void;
  /** Writes a line to stderr below the live line (the run's logger writes through this). */
  line: (text: string) => void;
}

/**
 * Step log lines (`ctx.log`) are not printed here: they reach the run's logger, which writes through
 * `line`, so `SLUICE_LOG_LEVEL` governs them.
 */
export function createProgressReporter(io: { err: (text: string) => void; tty?: { write: (text: string) => void; columns: number } }): ProgressReporter {
  const tty = io.tty;
  const starts = new Map<string, number>();
  const lastPrint = new Map<string, number>();
  let live = false;
  const clearLive = (): void => { if (live && tty) { tty.write('\r\u001b[2K'); live = false; } };
  const write = (line: string): void => { clearLive(); io.err(line); };

  const onEvent = (event: RunEvent): void => {
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
        if (tty) { clearLive(); tty.write(text.slice(0, tty.columns - 1)); live = true; }
        else if (Date.now() - (lastPrint.get(event.step) ?? 0) > 5000) { lastPrint.set(event.step, Date.now()); write(text); }
        break;
      }
      case 'task-retry':
        write(`  ! ${event.step} attempt ${event.attempt} failed (${event.error}); retrying in ${formatDuration(event.delayMs)}`);
        break;
      case 'task-end':
        write(`  ${event.state === 'succeeded' ? '✓' : '✗'} ${event.step} ${stateMark(event.state, tty !== undefined)} in ${formatDuration(event.durationMs)}${event.error && event.state !== 'skipped' ? `: ${firstLine(event.error)}` : ''}`);
        break;
      case 'run-end':
        write(`run ${event.runId} ${stateMark(event.state, tty !== undefined)} in ${formatDuration(event.durationMs)}`);
        break;
    }
  };
  return { onEvent, line: write };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
