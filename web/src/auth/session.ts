// The session's tokens live in sessionStorage (see docs/adr on the web client): they survive a
// reload but not the tab, and each tab holds its own session, so two tabs never race to rotate
// one refresh token (presenting a used refresh token ends the whole session server-side).
// Trade-off: script injected into the page (XSS) can read them; the strict CSP and React's
// escaping are what stand between an attacker and the tokens.

export interface Tokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

const KEY = "workchat.session";
type Listener = (tokens: Tokens | null, reason: string | null) => void;
const listeners = new Set<Listener>();

export function loadTokens(): Tokens | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Tokens;
    if (Date.parse(parsed.refreshTokenExpiresAt) <= Date.now()) return null;
    return parsed;
  } catch {
    return null;
  }
}

export function saveTokens(tokens: Tokens): void {
  sessionStorage.setItem(KEY, JSON.stringify(tokens));
  for (const listener of listeners) listener(tokens, null);
}

/** Forget the session; `reason` is shown on the login screen (e.g. the session was revoked). */
export function clearTokens(reason: string | null = null): void {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(null, reason);
}

export function onTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** When to rotate: a minute before the access token expires, or at 80% of a short lifetime. */
export function refreshDelayMs(tokens: Tokens, now: number = Date.now()): number {
  const expires = Date.parse(tokens.accessTokenExpiresAt);
  const remaining = expires - now;
  return Math.max(0, remaining >= 300_000 ? remaining - 60_000 : remaining * 0.8);
}
