// Purchase orders: those waiting for approval first, with approve and reject for the people whose
// roles allow it; the rest below with their state.
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { Ask } from "../ui/ask";
import { cents, fromCents, label } from "../ui/format";
import { useDocuments } from "./documents";
import { useNames } from "./names";

type Po = components["schemas"]["Page_Versioned_PurchaseOrder"]["items"][number];
const PO = "/api/v1/procurement/purchase-orders/{id}";

export function Purchasing({ can }: ScreenProps) {
  const { items: orders, error, setError, act } = useDocuments<Po>((after) =>
    call(() => api.GET("/api/v1/procurement/purchase-orders", { params: { query: { limit: 200, after } } })),
  );
  const name = useNames(can);
  const approve = (id: string) =>
    act(() => call((key) => api.POST(`${PO}/approve`, { params: { path: { id }, header: { "Idempotency-Key": key } } })));
  const reject = (id: string, reason: string) =>
    void act(() =>
      call((key) => api.POST(`${PO}/reject`, { params: { path: { id }, header: { "Idempotency-Key": key } }, body: { reason: reason.trim() || null } })),
    );
  const waiting = orders.filter((o) => o.status === "submitted");
  const rest = orders.filter((o) => o.status !== "submitted");
  const value = (o: Po) => fromCents(o.lines.reduce((s, l) => s + Math.round(cents(l.unit_price) * Number(l.quantity)), 0));

  const table = (list: Po[], actions: boolean) => (
    <table class="figures">
      <thead>
        <tr>
          <th scope="col">Supplier</th>
          <th scope="col">Lines</th>
          <th scope="col">Value</th>
          <th scope="col">State</th>
          {actions && <th scope="col" />}
        </tr>
      </thead>
      <tbody>
        {list.map((o) => (
          <tr key={o.id} data-po={o.id}>
            <th scope="row">{name(o.supplier_id)}</th>
            <td>{o.lines.map((l) => `${l.quantity} ${name(l.inventory_item_id)} @ ${l.unit_price}`).join("; ")}</td>
            <td class="num">{value(o)}</td>
            <td>{label(o.status ?? "draft")}</td>
            {actions && (
              <td class="actions">
                {can.can("POST", `${PO}/approve`) && (
                  <button type="button" class="primary" onClick={() => void approve(o.id)}>
                    Approve
                  </button>
                )}
                {can.can("POST", `${PO}/reject`) && (
                  <Ask action="Reject" fields={[{ name: "reason", label: "Why?" }]} onConfirm={(v) => reject(o.id, v.reason)} />
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );

  return (
    <section class="report" aria-label="Purchase orders">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <h2>Waiting for approval</h2>
      {waiting.length === 0 ? <p class="quiet">None waiting.</p> : table(waiting, true)}
      <h2>All purchase orders</h2>
      {table(rest, false)}
    </section>
  );
}
