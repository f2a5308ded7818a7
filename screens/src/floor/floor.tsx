// The floor and the till (a tablet in the captain's hand, or the cashier's screen): take an
// order from the menu and send it to the kitchen; follow every open order's state live (a ready
// order is announced the moment the kitchen bumps it); serve, discount, take split payments with
// tips, refund, print the receipt.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import { follow, type FeedState } from "../api/feed";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { label } from "../ui/format";
import { LiveBadge } from "../ui/live";
import { OrderPanel } from "./order";
import { TakeOrder } from "./take";

type Summary = components["schemas"]["OrderSummary"];
export type KitchenState = components["schemas"]["KitchenProgress"];
type StateChange = components["schemas"]["OrderStateChange"];

const STATES = ["queued", "cooking", "ready", "recalled", "served", "cancelled"] as const;

interface Announcement {
  orderId: string;
  words: string;
}

export function Floor({ can }: ScreenProps) {
  const [orders, setOrders] = useState<Summary[]>([]);
  const [kitchen, setKitchen] = useState<Record<string, KitchenState>>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [feed, setFeed] = useState<FeedState>("connecting");
  const [ready, setReady] = useState<Announcement[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [taking, setTaking] = useState(false);
  // The list: the open orders (the service), or the closed ones (a refund, a receipt reprinted).
  const [showing, setShowing] = useState<"open" | "closed">("open");
  const listing = useRef(showing);
  listing.current = showing;

  const reload = useCallback(async (after?: number) => {
    try {
      const status = listing.current;
      const page = await call(() =>
        api.GET("/api/v1/pos/orders", { params: { query: { status, limit: 200, after } } }),
      );
      if (status !== listing.current) return;
      setOrders(page.items);
      setError(null);
      // Where each sent order is in the kitchen; the feed keeps it current from here.
      const sent = page.items.filter((o) => o.sent);
      const states = await Promise.all(
        sent.map((o) =>
          call(() => api.GET("/api/v1/pos/orders/{id}/kitchen-status", { params: { path: { id: o.id } } }))
            .then((k) => [o.id, k.status] as const)
            .catch(() => [o.id, "queued"] as const),
        ),
      );
      setKitchen((old) => ({ ...old, ...Object.fromEntries(states) }));
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void reload(), [showing]);

  useEffect(() => {
    if (!can.can("GET", "/api/v1/pos/orders/stream")) return;
    const stop = follow("/api/v1/pos/orders/stream", STATES, {
      change: (_name, data) => {
        const change = data as StateChange;
        setKitchen((old) => ({ ...old, [change.order_id]: change.status }));
        if (change.change === "completed" || (change.status === "ready" && change.change === "line_ready")) {
          const where = change.table != null ? `table ${change.table}` : label(change.order_type).toLowerCase();
          setReady((old) => [
            { orderId: change.order_id, words: `Order #${change.number} for ${where} is ready` },
            ...old.filter((a) => a.orderId !== change.order_id),
          ]);
        }
        if (change.status === "served" || change.status === "cancelled") {
          setReady((old) => old.filter((a) => a.orderId !== change.order_id));
        }
        if (change.change === "sent") void reload(change.position);
      },
      state: setFeed,
    });
    const quiet = setInterval(() => void reload(), 20_000);
    return () => {
      stop();
      clearInterval(quiet);
    };
  }, []);

  const mayTake = can.can("POST", "/api/v1/pos/orders") && can.can("POST", "/api/v1/pos/orders/{id}/send-to-kitchen");

  return (
    <main class="floor">
      <div class="floor-bar">
        <h1>Floor</h1>
        {mayTake && (
          <button type="button" class="primary" onClick={() => setTaking(true)}>
            New order
          </button>
        )}
        <LiveBadge state={feed} />
      </div>
      <div class="announcements" role="status" aria-live="assertive">
        {ready.map((a) => (
          <div class="banner ready" key={a.orderId}>
            <span>{a.words}</span>
            <button type="button" class="small" onClick={() => setSelected(a.orderId)}>
              Open
            </button>
            <button
              type="button"
              class="ghost"
              aria-label="Dismiss"
              onClick={() => setReady((old) => old.filter((x) => x.orderId !== a.orderId))}
            >
              ✕
            </button>
          </div>
        ))}
      </div>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {taking ? (
        <TakeOrder
          can={can}
          onDone={(id, position) => {
            setTaking(false);
            if (id) {
              setSelected(id);
              void reload(position);
            }
          }}
        />
      ) : (
        <div class="floor-body">
          <section class="open-orders" aria-label="Orders">
            <nav class="tabs" aria-label="Which orders">
              {(["open", "closed"] as const).map((s) => (
                <button type="button" key={s} class={s === showing ? "active" : ""} onClick={() => setShowing(s)}>
                  {s === "open" ? "Open orders" : "Closed"}
                </button>
              ))}
            </nav>
            {orders.length === 0 && <p class="quiet">No {showing} orders.</p>}
            <ul>
              {orders.map((o) => {
                const state = o.status === "closed" ? "served" : o.sent ? (kitchen[o.id] ?? "queued") : "not_sent";
                return (
                  <li key={o.id}>
                    <button
                      type="button"
                      class={`order-row${selected === o.id ? " active" : ""}`}
                      data-order={o.number}
                      onClick={() => setSelected(o.id)}
                    >
                      <span class="number">#{o.number}</span>
                      <span class="lines">{o.lines.map((l) => `${l.quantity}× ${l.name}`).join(", ")}</span>
                      <span class={`state state-${state}`} data-state={state}>
                        {stateWords(state)}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
          {selected ? (
            <OrderPanel
              key={selected}
              id={selected}
              can={can}
              kitchen={kitchen[selected]}
              onChanged={(position) => void reload(position)}
              onClose={() => setSelected(null)}
            />
          ) : (
            <section class="order-panel quiet">Choose an order, or take a new one.</section>
          )}
        </div>
      )}
    </main>
  );
}

export function stateWords(state: KitchenState): string {
  return {
    not_sent: "Not sent",
    draft: "Not sent",
    queued: "Sent",
    cooking: "Cooking",
    ready: "Ready",
    recalled: "Recalled",
    served: "Served",
    cancelled: "Cancelled",
  }[state];
}
