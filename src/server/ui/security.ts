/**
 * Who may use the UI and how state changes are protected.
 *
 * - Token: with one set (SLUICE_UI_TOKEN), every request but the login page and static files needs it,
 *   as `Authorization: Bearer <token>` or the `sluice_ui_token` cookie that `/login` sets (HttpOnly,
 *   SameSite=Strict). Compared in constant time.
 * - Cross-site requests: every POST needs the CSRF token of its session (a form field `_csrf` or the
 *   `X-CSRF-Token` header that htmx sends), an HMAC of the session cookie under a key made at start, and
 *   is refused when the browser says it comes from another site (`Sec-Fetch-Site: cross-site|same-site`)
 *   or its `Origin` is not this host.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'sluice_ui_session';
export const TOKEN_COOKIE = 'sluice_ui_token';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    try { out[k] = decodeURIComponent(part.slice(i + 1).trim()); } catch { /* a malformed cookie is ignored */ }
  }
  return out;
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Guard {
  readonly #key = randomBytes(32);
  constructor(readonly token: string | undefined, readonly cookiePath: string) {}

  /** True when the request carries the token (or none is required). */
  authorized(req: FastifyRequest): boolean {
    if (!this.token) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && sameText(auth.slice(7).trim(), this.token)) return true;
    const cookie = parseCookies(req.headers.cookie)[TOKEN_COOKIE];
    return cookie !== undefined && sameText(cookie, this.token);
  }

  /** The session id of the request, creating one (and its cookie) when there is none. */
  session(req: FastifyRequest, reply: FastifyReply): string {
    let id = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!id || !/^[A-Za-z0-9_-]{20,64}$/.test(id)) {
      id = randomBytes(24).toString('base64url');
      reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=${this.cookiePath}; HttpOnly; SameSite=Strict`);
    }
    return id;
  }

  csrfToken(session: string): string {
    return createHmac('sha256', this.#key).update(session).digest('base64url');
  }

  /** Why a POST is refused, or null when it may go on. */
  refuseCrossSite(req: FastifyRequest, submitted: string | undefined): string | null {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return `the browser marked the request ${site}`;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string;
      try { host = new URL(origin).host; } catch { return `its Origin ${origin} is not a URL`; }
      if (host !== req.headers.host) return `its Origin ${origin} is not this server (${req.headers.host ?? 'no Host header'})`;
    } else if (origin === 'null') return 'its Origin is null (a sandboxed or cross-site page)';
    const session = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!session) return 'it carries no session cookie (open the page first, then submit its form)';
    if (!submitted || !sameText(submitted, this.csrfToken(session))) return 'its CSRF token is missing or does not match this session';
    return null;
  }
}
