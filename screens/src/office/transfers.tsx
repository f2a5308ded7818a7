// Stock transfers between departments: the requested ones for the receiving side to validate
// (the quantities it accepts, each up to what was asked) or reject; the rest with their state.
import { useState } from "preact/hooks";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { Ask } from "../ui/ask";
import { label } from "../ui/format";
import { useDocuments } from "./documents";
import { useNames } from "./names";

type Transfer = components["schemas"]["Page_Versioned_Transfer"]["items"][number];
const TRANSFER = "/api/v1/stock/transfers/{id}";

export function Transfers({ can }: ScreenProps) {
  const { items: transfers, error, setError, act } = useDocuments<Transfer>((after) =>
    call(() => api.GET("/api/v1/stock/transfers", { params: { query: { limit: 200, after } } })),
  );
  const [accepted, setAccepted] = useState<Record<string, string>>({});
  const name = useNames(can);
  const validate = (t: Transfer) =>
    act(() =>
      call((key) =>
        api.POST(`${TRANSFER}/validate`, {
          params: { path: { id: t.id }, header: { "Idempotency-Key": key } },
          body: {
            lines: t.lines.map((l) => ({
              inventory_item_id: l.inventory_item_id,
              quantity: (accepted[`${t.id}/${l.inventory_item_id}`] ?? l.requested).trim(),
            })),
          },
        }),
      ),
    );
  const reject = (t: Transfer, reason: string) =>
    void act(() =>
      call((key) =>
        api.POST(`${TRANSFER}/reject`, { params: { path: { id: t.id }, header: { "Idempotency-Key": key } }, body: { reason: reason.trim() || null } }),
      ),
    );
  const requested = transfers.filter((t) => t.status === "requested");
  const rest = transfers.filter((t) => t.status !== "requested");

  return (
    <section class="report" aria-label="Transfers">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <h2>To validate</h2>
      {requested.length === 0 && <p class="quiet">None waiting.</p>}
      {requested.map((t) => (
        <article class="card" key={t.id} data-transfer={t.id}>
          <h3>
            {label(t.from ?? "")} → {label(t.to ?? "")}
          </h3>
          <table class="figures">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Asked</th>
                <th scope="col">Accepted</th>
              </tr>
            </thead>
            <tbody>
              {t.lines.map((l) => {
                const key = `${t.id}/${l.inventory_item_id}`;
                return (
                  <tr key={key}>
                    <th scope="row">{name(l.inventory_item_id)}</th>
                    <td class="num">{l.requested}</td>
                    <td>
                      <input
                        aria-label={`Accepted ${name(l.inventory_item_id)}`}
                        size={8}
                        value={accepted[key] ?? l.requested}
                        onInput={(e) => setAccepted({ ...accepted, [key]: e.currentTarget.value })}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div class="actions">
            {can.can("POST", `${TRANSFER}/validate`) && (
              <button type="button" class="primary" onClick={() => void validate(t)}>
                Validate
              </button>
            )}
            {can.can("POST", `${TRANSFER}/reject`) && (
              <Ask action="Reject" fields={[{ name: "reason", label: "Why?" }]} onConfirm={(v) => reject(t, v.reason)} />
            )}
          </div>
        </article>
      ))}
      <h2>Other transfers</h2>
      <table class="figures">
        <tbody>
          {rest.map((t) => (
            <tr key={t.id}>
              <th scope="row">
                {label(t.from ?? "")} → {label(t.to ?? "")}
              </th>
              <td>{t.lines.map((l) => `${l.requested} ${name(l.inventory_item_id)}`).join("; ")}</td>
              <td>{label(t.status ?? "")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
