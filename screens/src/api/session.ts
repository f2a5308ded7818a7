// The signed-in user's tokens. Kept in localStorage so a wall-mounted kitchen screen survives a
// reload or a power cut; the access token is renewed a minute before it expires (and at once
// when the API answers 401 to it), with the refresh token, which is single use: concurrent
// renewals share one request. When renewal fails the session ends and the screens go back to
// sign-in, saying why.
import type { components } from "./schema";

export type SessionBody = components["schemas"]["Session"];
export type Profile = components["schemas"]["Profile"];

interface Stored {
  access: string;
  refresh: string;
  /** Epoch milliseconds when the access token expires. */
  expires: number;
  user: Profile;
}

const KEY = "brigade.session";
/** Renew this long before expiry, so no request is sent with a token about to lapse. */
const MARGIN_MS = 60_000;

let current: Stored | null = load();
let renewing: Promise<boolean> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<(reason: string | null) => void>();

function load(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function save(stored: Stored | null) {
  current = stored;
  if (stored) localStorage.setItem(KEY, JSON.stringify(stored));
  else localStorage.removeItem(KEY);
  schedule();
}

function schedule() {
  clearTimeout(timer);
  if (!current) return;
  const wait = Math.max(1_000, current.expires - Date.now() - MARGIN_MS);
  timer = setTimeout(() => void renew(), wait);
}

/** Called with `null` on sign-in, with the reason when the session ends. */
export function onChange(listener: (reason: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function user(): Profile | null {
  return current?.user ?? null;
}

export function accessToken(): string | null {
  return current?.access ?? null;
}

export function start(session: SessionBody) {
  save({
    access: session.access_token,
    refresh: session.refresh_token,
    expires: Date.now() + session.expires_in * 1000,
    user: session.user,
  });
  listeners.forEach((l) => l(null));
}

export function end(reason: string) {
  save(null);
  listeners.forEach((l) => l(reason));
}

/** The refresh token, for signing out. */
export function refreshToken(): string | null {
  return current?.refresh ?? null;
}

/** A token valid for at least the margin, renewing it first if needed. */
export async function freshToken(): Promise<string | null> {
  if (current && current.expires - Date.now() < MARGIN_MS) await renew();
  return accessToken();
}

/** Renews the access token; false (and the session ended) when the server refuses. */
export function renew(): Promise<boolean> {
  if (renewing) return renewing;
  const stored = current;
  if (!stored) return Promise.resolve(false);
  renewing = (async () => {
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: stored.refresh }),
      });
      if (response.ok) {
        const body = (await response.json()) as SessionBody;
        save({
          access: body.access_token,
          refresh: body.refresh_token,
          expires: Date.now() + body.expires_in * 1000,
          user: body.user,
        });
        return true;
      }
      if (response.status === 401 || response.status === 403 || response.status === 400) {
        end("Your session has ended: please sign in again.");
      }
      return false;
    } catch {
      // The network, not the session: keep it, and try again at the next request.
      return false;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

/** Pretends the access token has been revoked (tests, and a user switching tills). */
export function spoilAccessToken() {
  if (current) save({ ...current, access: "expired." + current.access });
}

schedule();
