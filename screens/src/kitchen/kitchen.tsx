// The kitchen display: one screen per station (`/kitchen/grill`) or the expo (`/kitchen`). The
// tickets of the kitchen read model, rush first then oldest, with their lines, modifications,
// notes, per-line state, a live elapsed clock and the organization's urgency colour; the cooks'
// actions by touch or by bump bar (a keyboard: digits select a ticket, Enter bumps it).
//
// Each change of the live feed is applied at once and reads reconcile (see queue.ts).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import { follow, type FeedState } from "../api/feed";
import { apply, elapsed, urgency, type Change, type Screen, type Ticket } from "./queue";
import { ErrorBanner } from "../ui/alert";
import { clock, label } from "../ui/format";
import { go } from "../ui/route";
import { LiveBadge } from "../ui/live";

const CHANGES = ["sent", "started", "line_ready", "completed", "recalled", "priority", "served", "cancelled"] as const;
const ACTION = "/api/v1/kitchen/orders/{id}";

export function Kitchen({ can, path }: ScreenProps) {
  const station = path[1];
  const [screen, setScreen] = useState<Screen | null>(null);
  const [skew, setSkew] = useState(0);
  const [now, setNow] = useState(Date.now());
  // The selected ticket (by order, so a rush that reorders the screen does not move it). Kept in
  // a ref, read by the bump bar at the moment a key comes: "2" then "s" from a fast bump bar
  // starts ticket 2 even when the second key arrives before the selection is drawn.
  const chosen = useRef<string | null>(null);
  const [, redraw] = useState(0);
  const choose = (orderId: string | null) => {
    chosen.current = orderId;
    redraw((n) => n + 1);
  };
  const [feed, setFeed] = useState<FeedState>("connecting");
  const [error, setError] = useState<unknown>(null);
  const [stations, setStations] = useState<string[]>([]);
  // The read in flight (if any), the changes applied since it was asked, the last change's
  // position, and the timer of the next read.
  const sync = useRef({ busy: false, again: false, since: [] as Change[], position: 0, timer: 0 as number | undefined });

  /** Reads the queue as of the last change applied; the changes that arrive meanwhile are laid
   * on top of the answer. Reads asked for while one is in flight fold into one more. */
  const refresh = useCallback(async () => {
    const s = sync.current;
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    try {
      do {
        s.again = false;
        s.since = [];
        const asked = Date.now();
        const body = await call(() =>
          api.GET("/api/v1/kitchen/orders", { params: { query: { station, after: s.position || undefined } } }),
        );
        setSkew(Date.parse(body.as_of) - (asked + Date.now()) / 2);
        setScreen(s.since.reduce((screen, change) => apply(screen, change, station), body));
        setError(null);
      } while (s.again);
    } catch (e) {
      setError(e);
    } finally {
      s.busy = false;
      s.since = [];
    }
  }, [station]);

  /** A read within two seconds, however many changes ask for one meanwhile. */
  const refreshSoon = useCallback(() => {
    const s = sync.current;
    if (s.timer !== undefined) return;
    s.timer = window.setTimeout(() => {
      s.timer = undefined;
      void refresh();
    }, 2_000);
  }, [refresh]);

  useEffect(() => {
    setScreen(null);
    sync.current.position = 0;
    void refresh();
    const url = station ? `/api/v1/kitchen/stream?station=${encodeURIComponent(station)}` : "/api/v1/kitchen/stream";
    let wasOffline = false;
    const stop = follow(url, CHANGES, {
      change: (_name, data) => {
        const change = data as Change;
        const s = sync.current;
        s.position = Math.max(s.position, change.position);
        if (s.busy) s.since.push(change);
        setScreen((screen) => (screen ? apply(screen, change, station) : screen));
        refreshSoon();
      },
      state: (state) => {
        setFeed(state);
        // Back from a loss: the feed replays what it missed; a read as well brings the rest.
        if (state === "live" && wasOffline) void refresh();
        wasOffline = state === "offline" || (wasOffline && state === "connecting");
      },
    });
    const ticking = setInterval(() => setNow(Date.now()), 1_000);
    // Prep times and the bumped list age: read them again now and then even when quiet.
    const rereading = setInterval(() => void refresh(), 30_000);
    return () => {
      stop();
      clearInterval(ticking);
      clearInterval(rereading);
      clearTimeout(sync.current.timer);
      sync.current.timer = undefined;
    };
  }, [station]);

  useEffect(() => {
    if (!can.can("GET", "/api/v1/menu/items")) return;
    call(() => api.GET("/api/v1/menu/items", { params: { query: { limit: 500 } } }))
      .then((page) => setStations([...new Set(page.items.map((i) => i.details.station))].sort()))
      .catch(() => undefined);
  }, []);

  const tickets = screen?.tickets ?? [];
  // The chosen ticket's place; the first when it has left the screen.
  const selected = Math.max(0, tickets.findIndex((t) => t.order_id === chosen.current));
  const act = async (run: () => Promise<{ position: number } | undefined>) => {
    try {
      const written = await run();
      setError(null);
      if (written) sync.current.position = Math.max(sync.current.position, written.position);
      await refresh();
    } catch (e) {
      setError(e);
    }
  };

  const start = (t: Ticket) =>
    act(() => call(() => api.POST(`${ACTION}/start`, { params: { path: { id: t.order_id }, header: {} } })));
  const lineUp = (t: Ticket, lineId: string) =>
    act(() =>
      call(() =>
        api.POST(`${ACTION}/items/{line_id}/ready`, { params: { path: { id: t.order_id, line_id: lineId }, header: {} } }),
      ),
    );
  /** Bump: on a station, every line of this station is up (the last station's makes the order
   * ready); on the expo, the whole ticket. */
  const bump = (t: Ticket) =>
    act(async () => {
      if (!station) {
        return call(() => api.POST(`${ACTION}/complete`, { params: { path: { id: t.order_id }, header: {} } }));
      }
      let last: { position: number } | undefined;
      for (const line of t.lines.filter((l) => l.station === station && !l.ready)) {
        last = await call(() =>
          api.POST(`${ACTION}/items/{line_id}/ready`, {
            params: { path: { id: t.order_id, line_id: line.line_id }, header: {} },
          }),
        );
      }
      return last;
    });
  const recall = (orderId: string) =>
    act(() => call(() => api.POST(`${ACTION}/recall`, { params: { path: { id: orderId }, header: {} } })));
  const rush = (t: Ticket) =>
    act(() =>
      call(() =>
        api.PUT(`${ACTION}/priority`, { params: { path: { id: t.order_id }, header: {} }, body: { rush: !t.rush } }),
      ),
    );

  const may = {
    start: can.can("POST", `${ACTION}/start`),
    line: can.can("POST", `${ACTION}/items/{line_id}/ready`),
    complete: can.can("POST", `${ACTION}/complete`),
    recall: can.can("POST", `${ACTION}/recall`),
    rush: can.can("PUT", `${ACTION}/priority`),
  };
  const mayBump = station ? may.line : may.complete;

  // The bump bar. The handler is replaced at every render, before the render reaches the screen,
  // and one listener calls whichever is current: a listener re-registered by an effect would be
  // replaced only after the paint, so a key pressed right after a selection is drawn ("2" then
  // "s" from a fast bump bar) would act on the ticket selected before it.
  const onKey = useRef<(e: KeyboardEvent) => void>(() => undefined);
  onKey.current = (e: KeyboardEvent) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    const at = Math.max(0, tickets.findIndex((t) => t.order_id === chosen.current));
    const ticket = tickets[at];
    if (/^[1-9]$/.test(e.key)) choose(tickets[Number(e.key) - 1]?.order_id ?? chosen.current);
    else if (e.key === "ArrowRight") choose(tickets[Math.min(at + 1, tickets.length - 1)]?.order_id ?? null);
    else if (e.key === "ArrowLeft") choose(tickets[Math.max(at - 1, 0)]?.order_id ?? null);
    else if ((e.key === "Enter" || e.key === "b") && ticket && mayBump) void bump(ticket);
    else if (e.key === "s" && ticket && may.start && canStart(ticket)) void start(ticket);
    else if (e.key === "r" && ticket && may.rush) void rush(ticket);
    else if (e.key === "z" && may.recall && screen?.recently_completed[0]) void recall(screen.recently_completed[0].order_id);
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey.current(e);
    addEventListener("keydown", listener);
    return () => removeEventListener("keydown", listener);
  }, []);

  const shown = stations.length ? stations : [...new Set(tickets.flatMap((t) => t.stations))].sort();
  const prep = screen ? Object.entries(screen.average_prep_seconds) : [];

  return (
    <main class="kitchen" aria-label={station ? `Kitchen: ${station}` : "Kitchen: expo"}>
      <div class="kitchen-bar">
        <h1>{station ? label(station) : "Expo"}</h1>
        <nav class="stations" aria-label="Stations">
          <button type="button" class={!station ? "active" : ""} onClick={() => go("/kitchen")}>
            Expo
          </button>
          {shown.map((s) => (
            <button type="button" key={s} class={s === station ? "active" : ""} onClick={() => go(`/kitchen/${s}`)}>
              {label(s)}
            </button>
          ))}
        </nav>
        <LiveBadge state={feed} />
      </div>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="kitchen-body">
        <section class="tickets" aria-label="Tickets">
          {screen && tickets.length === 0 && <p class="quiet">No open tickets.</p>}
          {tickets.map((t, i) => {
            const seconds = elapsed(t, now, skew);
            return (
            <article
              key={t.order_id}
              class={`ticket urgency-${screen ? urgency(seconds, screen) : t.urgency}${t.rush ? " rush" : ""}${i === selected ? " selected" : ""} status-${t.status}`}
              data-order={t.number}
              aria-label={`Ticket ${t.number}`}
              onClick={() => choose(t.order_id)}
            >
              <header>
                <span class="key">{i < 9 ? i + 1 : ""}</span>
                <span class="number">#{t.number}</span>
                <span class="where">{t.table != null ? `Table ${t.table}` : label(t.order_type)}</span>
                <span class="elapsed" aria-label="Elapsed">
                  {clock(seconds)}
                </span>
              </header>
              <div class="ticket-state">
                {t.rush && <span class="tag rush-tag">RUSH</span>}
                <span class="tag">{label(t.status)}</span>
              </div>
              <ul class="lines">
                {t.lines
                  .filter((l) => !station || l.station === station)
                  .map((l) => (
                    <li key={l.line_id} class={l.ready ? "ready" : ""}>
                      <span class="qty">{l.quantity}×</span> <span class="name">{l.name}</span>
                      {!station && <span class="station"> · {l.station}</span>}
                      {l.modifications.map((m) => (
                        <div class="mod" key={m}>
                          {m}
                        </div>
                      ))}
                      {l.notes && <div class="note">“{l.notes}”</div>}
                      {l.ready ? (
                        <span class="line-state">✓ up</span>
                      ) : (
                        may.line &&
                        t.status !== "queued" && (
                          <button type="button" class="small" onClick={() => void lineUp(t, l.line_id)}>
                            Up
                          </button>
                        )
                      )}
                    </li>
                  ))}
              </ul>
              {station && t.stations.length > 1 && (
                <p class="also">Also: {t.stations.filter((s) => s !== station).join(", ")}</p>
              )}
              <footer class="actions">
                {may.start && canStart(t) && (
                  <button type="button" onClick={() => void start(t)}>
                    Start
                  </button>
                )}
                {mayBump && (
                  <button type="button" class="primary" onClick={() => void bump(t)}>
                    Bump
                  </button>
                )}
                {may.rush && (
                  <button type="button" onClick={() => void rush(t)}>
                    {t.rush ? "Unrush" : "Rush"}
                  </button>
                )}
              </footer>
            </article>
            );
          })}
        </section>
        <aside class="kitchen-side">
          <section aria-label="All day">
            <h2>All day</h2>
            <ul class="allday">
              {(screen?.all_day ?? []).map((a) => (
                <li key={a.name}>
                  <span>{a.name}</span>
                  <strong>{a.portions}</strong>
                </li>
              ))}
            </ul>
          </section>
          <section aria-label="Average prep time">
            <h2>Prep time</h2>
            <ul class="allday">
              {prep.map(([s, seconds]) => (
                <li key={s}>
                  <span>{label(s)}</span>
                  <strong>{clock(seconds)}</strong>
                </li>
              ))}
            </ul>
          </section>
          <section aria-label="Recently bumped">
            <h2>Recently bumped</h2>
            <ul class="bumped">
              {(screen?.recently_completed ?? []).slice(0, 8).map((t) => (
                <li key={t.order_id}>
                  <span>
                    #{t.number} {t.table != null ? `T${t.table}` : label(t.order_type)}
                  </span>
                  {may.recall && (
                    <button type="button" class="small" onClick={() => void recall(t.order_id)}>
                      Recall
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
          <p class="keys">Bump bar: 1–9 select · Enter bump · S start · R rush · Z recall last</p>
        </aside>
      </div>
    </main>
  );
}

function canStart(t: Ticket): boolean {
  return t.status === "queued" || t.status === "recalled";
}
