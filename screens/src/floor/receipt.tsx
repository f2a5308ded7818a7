// The receipt, as the server computes it, laid out for a receipt printer or paper (the print
// stylesheet hides everything else on the page).
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { describe } from "../api/problem";
import { label } from "../ui/format";

type ReceiptBody = components["schemas"]["Receipt"];

export function Receipt({ id, onClose }: { id: string; onClose: () => void }) {
  const [receipt, setReceipt] = useState<ReceiptBody | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    call(() => api.GET("/api/v1/pos/orders/{id}/receipt", { params: { path: { id } } }))
      .then(setReceipt)
      .catch((e) => setFailure(describe(e)));
  }, [id]);
  return (
    <div class="receipt-backdrop" role="dialog" aria-label="Receipt">
      <div class="receipt">
        {failure && <p role="alert">{failure}</p>}
        {receipt && (
          <>
            <h3>Order #{receipt.number}</h3>
            {receipt.table != null && <p>Table {receipt.table}</p>}
            <table>
              <tbody>
                {receipt.lines.map((l, i) => (
                  <tr key={i}>
                    <td>
                      {l.quantity}× {l.name}
                      {l.modifications.length > 0 && <div class="mod">{l.modifications.join(", ")}</div>}
                    </td>
                    <td class="num">{l.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <dl class="totals">
              <dt>Subtotal</dt>
              <dd>{receipt.totals.subtotal}</dd>
              <dt>Discount</dt>
              <dd>{receipt.totals.discount}</dd>
              <dt>Tax ({receipt.tax_rate}%)</dt>
              <dd>{receipt.totals.tax}</dd>
              <dt>Total</dt>
              <dd class="strong">
                {receipt.totals.total} {receipt.currency}
              </dd>
              {receipt.payments.map((p) => (
                <>
                  <dt>{label(p.method)}</dt>
                  <dd>
                    {p.amount}
                    {p.tip !== "0.00" && ` + tip ${p.tip}`}
                  </dd>
                </>
              ))}
              <dt>Outstanding</dt>
              <dd>{receipt.totals.outstanding}</dd>
            </dl>
            <p class="thanks">Thank you</p>
          </>
        )}
        <div class="actions no-print">
          <button type="button" class="primary" onClick={() => print()}>
            Print
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
