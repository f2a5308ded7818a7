// Taking an order: the menu by category, each tap a line (again: one more), quantities,
// modifications and notes per line, dine-in at a table or takeout; then it goes to the kitchen
// in one step (placed, then sent).
import { useEffect, useState } from "preact/hooks";
import type { Permissions } from "../api/permissions";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { cents, fromCents, label } from "../ui/format";

type MenuItem = components["schemas"]["MenuItemView"];
type OrderType = components["schemas"]["OrderType"];

interface Line {
  item: MenuItem;
  quantity: number;
  modifications: string;
  notes: string;
}

export function TakeOrder({ onDone }: { can: Permissions; onDone: (id: string | null, position?: number) => void }) {
  const [menu, setMenu] = useState<MenuItem[]>([]);
  const [category, setCategory] = useState<string>("food");
  const [lines, setLines] = useState<Line[]>([]);
  const [type, setType] = useState<OrderType>("dine_in");
  const [table, setTable] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call(() => api.GET("/api/v1/menu/items", { params: { query: { limit: 500 } } }))
      .then((page) => setMenu(page.items.filter((i) => i.active)))
      .catch(setError);
  }, []);

  const categories = [...new Set(menu.map((i) => i.details.category))];
  const add = (item: MenuItem) =>
    setLines((old) => {
      const same = old.findIndex((l) => l.item.id === item.id && !l.modifications && !l.notes);
      if (same < 0) return [...old, { item, quantity: 1, modifications: "", notes: "" }];
      return old.map((l, i) => (i === same ? { ...l, quantity: l.quantity + 1 } : l));
    });
  const change = (index: number, patch: Partial<Line>) =>
    setLines((old) => old.map((l, i) => (i === index ? { ...l, ...patch } : l)).filter((l) => l.quantity > 0));
  const total = lines.reduce((sum, l) => sum + cents(l.item.details.sell_price) * l.quantity, 0);

  const send = async () => {
    setBusy(true);
    try {
      const placed = await call((key) =>
        api.POST("/api/v1/pos/orders", {
          params: { header: { "Idempotency-Key": key } },
          body: {
            order_type: type,
            table: type === "dine_in" && table !== "" ? Number(table) : null,
            lines: lines.map((l) => ({
              menu_item_id: l.item.id,
              quantity: l.quantity,
              modifications: l.modifications
                .split(",")
                .map((m) => m.trim())
                .filter(Boolean),
              notes: l.notes.trim() || null,
            })),
          },
        }),
      );
      const sent = await call((key) =>
        api.POST("/api/v1/pos/orders/{id}/send-to-kitchen", {
          params: { path: { id: placed.id }, header: { "Idempotency-Key": key } },
        }),
      );
      onDone(placed.id, sent.position);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="take" aria-label="New order">
      <div class="menu">
        <nav class="tabs" aria-label="Menu categories">
          {categories.map((c) => (
            <button type="button" key={c} class={c === category ? "active" : ""} onClick={() => setCategory(c)}>
              {label(c)}
            </button>
          ))}
        </nav>
        <div class="menu-items">
          {menu
            .filter((i) => i.details.category === category)
            .map((i) => (
              <button type="button" key={i.id} class="menu-item" onClick={() => add(i)}>
                <span>{i.details.name}</span>
                <small>{i.details.sell_price}</small>
              </button>
            ))}
        </div>
      </div>
      <div class="draft" aria-label="The order">
        <h2>New order</h2>
        <ErrorBanner error={error} onClose={() => setError(null)} />
        <fieldset class="order-type">
          <legend>Service</legend>
          {(["dine_in", "takeout", "delivery"] as const).map((t) => (
            <label key={t}>
              <input type="radio" name="order_type" checked={type === t} onChange={() => setType(t)} /> {label(t)}
            </label>
          ))}
          {type === "dine_in" && (
            <label>
              Table <input name="table" inputMode="numeric" size={4} value={table} onInput={(e) => setTable(e.currentTarget.value)} />
            </label>
          )}
        </fieldset>
        {lines.length === 0 && <p class="quiet">Tap the menu to add lines.</p>}
        <ol class="draft-lines">
          {lines.map((l, i) => (
            <li key={i} aria-label={l.item.details.name}>
              <div class="line-head">
                <button type="button" class="small" aria-label="One less" onClick={() => change(i, { quantity: l.quantity - 1 })}>
                  −
                </button>
                <strong class="qty">{l.quantity}</strong>
                <button type="button" class="small" aria-label="One more" onClick={() => change(i, { quantity: l.quantity + 1 })}>
                  +
                </button>
                <span class="name">{l.item.details.name}</span>
                <span class="price">{fromCents(cents(l.item.details.sell_price) * l.quantity)}</span>
              </div>
              <input
                placeholder="Modifications, comma separated (no onions, extra cheese)"
                aria-label="Modifications"
                value={l.modifications}
                onInput={(e) => change(i, { modifications: e.currentTarget.value })}
              />
              <input
                placeholder="Note for the kitchen"
                aria-label="Note"
                value={l.notes}
                onInput={(e) => change(i, { notes: e.currentTarget.value })}
              />
            </li>
          ))}
        </ol>
        <p class="total">
          Before tax: <strong>{fromCents(total)}</strong>
        </p>
        <div class="actions">
          <button type="button" onClick={() => onDone(null)}>
            Back
          </button>
          <button type="button" class="primary" disabled={busy || lines.length === 0} onClick={() => void send()}>
            {busy ? "Sending…" : "Send to kitchen"}
          </button>
        </div>
      </div>
    </section>
  );
}
