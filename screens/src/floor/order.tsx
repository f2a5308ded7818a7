// One order at the till: its lines and figures, serving it, a discount, payment split in equal
// shares (or any amounts) with a tip on each, refunds of a payment, and the receipt to print.
import { useEffect, useState } from "preact/hooks";
import type { Permissions } from "../api/permissions";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { Ask } from "../ui/ask";
import { cents, fromCents, label, money, split } from "../ui/format";
import { stateWords, type KitchenState } from "./floor";
import { Receipt } from "./receipt";

type Order = components["schemas"]["OrderView"];
type Method = components["schemas"]["PaymentMethod"];

interface Share {
  amount: string;
  tip: string;
  method: Method;
}

const ORDER = "/api/v1/pos/orders/{id}";

export function OrderPanel(props: {
  id: string;
  can: Permissions;
  kitchen?: KitchenState;
  onChanged: (position: number) => void;
  onClose: () => void;
}) {
  const { id, can } = props;
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [shares, setShares] = useState<Share[]>([]);
  const [discount, setDiscount] = useState({ kind: "percent" as "percent" | "amount", value: "", reason: "" });
  const [receipt, setReceipt] = useState(false);

  const load = async () => {
    try {
      setOrder(await call(() => api.GET(ORDER, { params: { path: { id } } })));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [id, props.kitchen]);

  const act = async (run: () => Promise<{ position: number }>) => {
    try {
      const written = await run();
      setError(null);
      props.onChanged(written.position);
      await load();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  if (!order) {
    return (
      <section class="order-panel" aria-label="Order">
        <ErrorBanner error={error} onClose={() => setError(null)} />
        <p class="quiet">Loading the order…</p>
      </section>
    );
  }
  const outstanding = cents(order.totals.outstanding);
  const splitIn = (parts: number) =>
    setShares(split(outstanding, parts).map((c) => ({ amount: fromCents(c), tip: "0.00", method: "card" })));
  const pay = async (index: number) => {
    const share = shares[index];
    const ok = await act(() =>
      call((key) =>
        api.POST("/api/v1/pos/payments/process", {
          params: { header: { "Idempotency-Key": key } },
          body: { order_id: id, amount: share.amount, tip: share.tip || null, method: share.method },
        }),
      ),
    );
    if (ok) setShares((old) => old.filter((_, i) => i !== index));
  };
  const refund = (paymentId: string, values: Record<string, string>) =>
    void act(() =>
      call((key) =>
        api.POST("/api/v1/pos/payments/refund", {
          params: { header: { "Idempotency-Key": key } },
          body: { payment_id: paymentId, amount: values.amount.trim(), reason: values.reason.trim() },
        }),
      ),
    );
  const state = props.kitchen ?? (order.ticket.sent_at ? "queued" : "not_sent");

  return (
    <section class="order-panel" aria-label={`Order ${order.number}`}>
      <header class="order-head">
        <h2>
          Order #{order.number} {order.table != null ? `· Table ${order.table}` : order.order_type ? `· ${label(order.order_type)}` : ""}
        </h2>
        <span class={`state state-${state}`} data-state={state}>
          {stateWords(state)}
        </span>
        <button type="button" class="ghost" aria-label="Close" onClick={props.onClose}>
          ✕
        </button>
      </header>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <table class="lines">
        <tbody>
          {order.lines.map((l) => (
            <tr key={l.line_id}>
              <td>{l.quantity}×</td>
              <td>
                {l.name}
                {l.modifications.length > 0 && <div class="mod">{l.modifications.join(", ")}</div>}
                {l.notes && <div class="note">“{l.notes}”</div>}
              </td>
              <td class="num">{fromCents(cents(l.unit_price) * l.quantity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl class="totals">
        <dt>Subtotal</dt>
        <dd>{money(order.totals.subtotal)}</dd>
        <dt>Discount</dt>
        <dd>{money(order.totals.discount)}</dd>
        <dt>Tax</dt>
        <dd>{money(order.totals.tax)}</dd>
        <dt>Total</dt>
        <dd class="strong">{money(order.totals.total)}</dd>
        <dt>Paid</dt>
        <dd>{money(order.totals.paid)}</dd>
        <dt>Tips</dt>
        <dd>{money(order.totals.tips)}</dd>
        <dt>Outstanding</dt>
        <dd class="strong" data-outstanding={order.totals.outstanding}>
          {money(order.totals.outstanding)}
        </dd>
      </dl>
      <div class="actions">
        {can.can("POST", `${ORDER}/serve`) && (state === "ready" || state === "cooking" || state === "queued") && (
          <button
            type="button"
            class={state === "ready" ? "primary" : ""}
            onClick={() =>
              void act(() =>
                call((key) => api.POST(`${ORDER}/serve`, { params: { path: { id }, header: { "Idempotency-Key": key } } })),
              )
            }
          >
            Served
          </button>
        )}
        {can.can("GET", `${ORDER}/receipt`) && (
          <button type="button" onClick={() => setReceipt(true)}>
            Receipt
          </button>
        )}
      </div>
      {can.can("POST", `${ORDER}/discounts`) && !order.closed && (
        <form
          class="inline-form"
          aria-label="Discount"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() =>
              call((key) =>
                api.POST(`${ORDER}/discounts`, {
                  params: { path: { id }, header: { "Idempotency-Key": key } },
                  body: { kind: discount.kind, value: discount.value.trim(), reason: discount.reason || null },
                }),
              ),
            );
          }}
        >
          <select aria-label="Discount kind" value={discount.kind} onChange={(e) => setDiscount({ ...discount, kind: e.currentTarget.value as "percent" })}>
            <option value="percent">% off</option>
            <option value="amount">Amount off</option>
          </select>
          <input aria-label="Discount value" size={6} value={discount.value} onInput={(e) => setDiscount({ ...discount, value: e.currentTarget.value })} />
          <input aria-label="Discount reason" placeholder="Reason" value={discount.reason} onInput={(e) => setDiscount({ ...discount, reason: e.currentTarget.value })} />
          <button type="submit">Discount</button>
        </form>
      )}
      {can.can("POST", "/api/v1/pos/payments/process") && outstanding > 0 && (
        <section class="payment" aria-label="Payment">
          <h3>Payment</h3>
          <div class="actions">
            {[1, 2, 3, 4].map((n) => (
              <button type="button" key={n} onClick={() => splitIn(n)}>
                {n === 1 ? "One payment" : `Split ${n} ways`}
              </button>
            ))}
          </div>
          {shares.map((s, i) => (
            <div class="share" key={i} aria-label={`Share ${i + 1}`}>
              <input aria-label="Amount" size={8} value={s.amount} onInput={(e) => setShares(shares.map((x, j) => (j === i ? { ...x, amount: e.currentTarget.value } : x)))} />
              <label>
                Tip <input aria-label="Tip" size={6} value={s.tip} onInput={(e) => setShares(shares.map((x, j) => (j === i ? { ...x, tip: e.currentTarget.value } : x)))} />
              </label>
              <select aria-label="Method" value={s.method} onChange={(e) => setShares(shares.map((x, j) => (j === i ? { ...x, method: e.currentTarget.value as Method } : x)))}>
                {(["card", "cash", "voucher", "other"] as const).map((m) => (
                  <option key={m} value={m}>
                    {label(m)}
                  </option>
                ))}
              </select>
              <button type="button" class="primary" onClick={() => void pay(i)}>
                Pay {s.amount}
              </button>
            </div>
          ))}
        </section>
      )}
      {order.payments.length > 0 && (
        <section aria-label="Payments taken">
          <h3>Payments</h3>
          <ul class="payments">
            {order.payments.map((p) => (
              <li key={p.payment_id}>
                {label(p.method)} {p.amount} (tip {p.tip}){cents(p.refunded) > 0 && `, refunded ${p.refunded}`}
                {can.can("POST", "/api/v1/pos/payments/refund") && cents(p.refunded) < cents(p.amount) && (
                  <Ask
                    action="Refund"
                    fields={[
                      { name: "amount", label: "Amount", initial: fromCents(cents(p.amount) - cents(p.refunded)) },
                      { name: "reason", label: "Reason" },
                    ]}
                    onConfirm={(values) => refund(p.payment_id, values)}
                  />
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {receipt && <Receipt id={id} onClose={() => setReceipt(false)} />}
    </section>
  );
}
