/**
 * The worker thread that dictionary-encodes text columns for `extract.ts` while the main thread fetches
 * the next chunks and copies the numbers (see `TextWorker` there for the protocol). It holds one
 * `TextColumnEncoder` per text column of each extraction in progress. Long strings (over 12 bytes) point
 * into the chunk's memory, which stays with the main thread: their texts come with the chunk, by pointer
 * and length.
 */
import { parentPort } from 'node:worker_threads';
import { TextColumnEncoder } from './text-encoder.ts';
import { longKey, type TextWorkerReply, type TextWorkerRequest } from './text-worker-protocol.ts';

const port = parentPort!;
const extractions = new Map<number, { columns: number[]; encoders: TextColumnEncoder[] }>();

port.on('message', (m: TextWorkerRequest) => {
  try {
    if (m.type === 'begin') {
      extractions.set(m.id, { columns: m.columns, encoders: m.columns.map(() => new TextColumnEncoder(m.expected)) });
    } else if (m.type === 'chunk') {
      const job = extractions.get(m.id);
      if (!job) return;
      m.columns.forEach(({ records, validity, long }, k) => {
        const words = new Int32Array(records, 0, m.n * 4);
        job.encoders[k]!.append(new Uint8Array(records, 0, m.n * 16), validity === null ? null : new Uint8Array(validity), m.n, (offset, len) => {
          const text = long?.get(longKey(words, offset >> 2, len));
          if (text === undefined) throw new Error(`no text for the long string at record ${offset >> 4}`);
          return text;
        });
      });
    } else if (m.type === 'finish') {
      const job = extractions.get(m.id);
      extractions.delete(m.id);
      if (!job) return;
      const columns = job.encoders.map((e, k) => ({ column: job.columns[k]!, ...e.finish() }));
      const reply: TextWorkerReply = { type: 'done', id: m.id, columns };
      port.postMessage(reply, columns.map((c) => c.codes.buffer as ArrayBuffer));
    } else {
      extractions.delete(m.id);
    }
  } catch (err) {
    if (m.type !== 'abort') extractions.delete(m.id);
    const reply: TextWorkerReply = { type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});

port.postMessage({ type: 'ready' } satisfies TextWorkerReply);
