// A live feed (Server-Sent Events) with the user's token. The browser's own EventSource cannot
// send an Authorization header, so the `eventsource` package's, which takes a fetch, does the
// reading and the reconnecting: after a network loss it retries by itself and sends the last id
// it saw as Last-Event-ID, so the server resumes exactly after it (no change lost, none twice).
// A refused reconnection (the token expired meanwhile) is renewed and resumed from the same id.
// A connection that goes silent (a Wi-Fi that drops without closing anything: no error ever
// comes) is noticed too: the server writes a keep-alive every 15 s, so three missed in a row
// close the connection and open a new one.
import { EventSource } from "eventsource";
import * as session from "./session";

export type FeedState = "connecting" | "live" | "offline";

/** How long a live feed may say nothing before it is taken for lost (tests shorten it). */
function silenceLimit(): number {
  return Number(localStorage.getItem("brigade.feedSilenceMs")) || 45_000;
}

export interface FeedHandlers {
  /** A change: its SSE event name, its parsed data, its id. */
  change(name: string, data: unknown, id: string): void;
  /** The connection's state, for the screen to say. */
  state(state: FeedState, reason?: string): void;
}

/** Follows `path` for the named events; returns a function that stops following. */
export function follow(path: string, names: readonly string[], handlers: FeedHandlers): () => void {
  let source: EventSource | null = null;
  let lastId: string | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let heard = Date.now();

  const open = () => {
    if (stopped) return;
    handlers.state("connecting");
    const url = new URL(path, location.origin);
    // A new source starts after the last change this screen saw (the header covers reconnects
    // within one source; the parameter covers a new one).
    if (lastId) url.searchParams.set("last_event_id", lastId);
    const es = new EventSource(url, {
      fetch: async (input, init) => {
        const token = await session.freshToken();
        const response = await fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token ?? ""}` } });
        heard = Date.now();
        if (!response.body) return response;
        // Every byte (messages and keep-alives alike) says the line is up.
        const watched = response.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              heard = Date.now();
              controller.enqueue(chunk);
            },
          }),
        );
        return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
      },
    });
    source = es;
    es.onopen = () => handlers.state("live");
    es.onerror = (event) => {
      if (stopped) return;
      const code = (event as { code?: number }).code;
      if (es.readyState === EventSource.CLOSED) {
        // Refused, not lost: renew the token if that was it, then start again from lastId.
        handlers.state("offline", code ? `the feed was refused (${code})` : undefined);
        es.close();
        const again = code === 401 ? session.renew() : Promise.resolve(true);
        void again.then((ok) => {
          if (ok) retry = setTimeout(open, 1_000);
        });
      } else {
        handlers.state("offline");
      }
    };
    for (const name of names) {
      es.addEventListener(name, (event) => {
        const message = event as MessageEvent<string>;
        if (message.lastEventId) lastId = message.lastEventId;
        let data: unknown = null;
        try {
          data = JSON.parse(message.data);
        } catch {
          data = null;
        }
        handlers.change(name, data, message.lastEventId);
      });
    }
  };

  open();
  const watchdog = setInterval(() => {
    if (stopped || !source || source.readyState !== EventSource.OPEN || Date.now() - heard < silenceLimit()) return;
    source.close();
    handlers.state("offline", "the server has said nothing for too long");
    heard = Date.now();
    retry = setTimeout(open, 1_000);
  }, 1_000);
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(watchdog);
    source?.close();
  };
}
