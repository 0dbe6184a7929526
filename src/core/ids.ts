import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A time-sortable unique id: `<prefix>_<10 chars of ms time><10 random chars>` (Crockford base32, lower case).
 * Sorting ids sorts by creation time, which keeps listings cheap.
 *
 * @example newId('run') // 'run_01jd6x3k9a7fq2m8c0zt'
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) { time = ALPHABET[t % 32]! + time; t = Math.floor(t / 32); }
  const bytes = randomBytes(10);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32]!;
  return `${prefix}_${time}${rand}`;
}
