// Stock: the levels of each department, items below their minimum highlighted, and the stock's
// value by FIFO or weighted average as of a chosen moment.
import { useEffect, useState } from "preact/hooks";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { label } from "../ui/format";

type Level = components["schemas"]["StockLevel"];
type Valuation = components["schemas"]["Valuation"];
type Method = components["schemas"]["Method"];
const DEPARTMENTS = ["procurement", "stock", "processing", "kitchen", "bar"] as const;

export function Stock({ can }: ScreenProps) {
  const [department, setDepartment] = useState("");
  const [levels, setLevels] = useState<Level[]>([]);
  const [low, setLow] = useState<Set<string>>(new Set());
  const [method, setMethod] = useState<Method>("fifo");
  const [asOf, setAsOf] = useState("");
  const [valuation, setValuation] = useState<Valuation | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    call(() => api.GET("/api/v1/stock/levels", { params: { query: { department: department || undefined } } }))
      .then((l) => setLevels(l.levels))
      .catch(setError);
    if (can.can("GET", "/api/v1/stock/alerts")) {
      call(() => api.GET("/api/v1/stock/alerts"))
        .then((a) => setLow(new Set(a.alerts.map((x) => x.item_id))))
        .catch(setError);
    }
  }, [department]);

  useEffect(() => {
    if (!can.can("GET", "/api/v1/stock/reports/valuation")) return;
    const as_of = asOf ? new Date(`${asOf}T23:59:59`).toISOString() : undefined;
    call(() => api.GET("/api/v1/stock/reports/valuation", { params: { query: { method, as_of } } }))
      .then(setValuation)
      .catch(setError);
  }, [method, asOf]);

  return (
    <section class="report" aria-label="Stock">
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="side-by-side">
        <div>
          <h2>Levels</h2>
          <form class="filters" onSubmit={(e) => e.preventDefault()}>
            <label>
              Department{" "}
              <select value={department} onChange={(e) => setDepartment(e.currentTarget.value)}>
                <option value="">All</option>
                {DEPARTMENTS.map((d) => (
                  <option key={d} value={d}>
                    {label(d)}
                  </option>
                ))}
              </select>
            </label>
          </form>
          <table class="figures" aria-label="Stock levels">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Department</th>
                <th scope="col">Quantity</th>
              </tr>
            </thead>
            <tbody>
              {levels.map((l) => (
                <tr key={`${l.item_id}-${l.department}`} class={low.has(l.item_id) ? "low" : ""}>
                  <th scope="row">
                    {l.name ?? l.sku ?? l.item_id}
                    {low.has(l.item_id) && <span class="tag low-tag">Low</span>}
                  </th>
                  <td>{label(l.department)}</td>
                  <td class="num">{l.quantity}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {valuation && (
          <div>
            <h2>Valuation</h2>
            <form class="filters" onSubmit={(e) => e.preventDefault()}>
              <label>
                Method{" "}
                <select value={method} onChange={(e) => setMethod(e.currentTarget.value as Method)}>
                  <option value="fifo">FIFO</option>
                  <option value="weighted_average">Weighted average</option>
                </select>
              </label>
              <label>
                As of <input type="date" value={asOf} onChange={(e) => setAsOf(e.currentTarget.value)} />
              </label>
            </form>
            <table class="figures" aria-label="Stock valuation">
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Quantity</th>
                  <th scope="col">Unit cost</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {valuation.items.map((i) => (
                  <tr key={i.item_id}>
                    <th scope="row">{i.name ?? i.item_id}</th>
                    <td class="num">{i.quantity}</td>
                    <td class="num">{i.unit_cost ?? "—"}</td>
                    <td class="num">{i.value}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr class="strong">
                  <th scope="row">Total</th>
                  <td />
                  <td />
                  <td class="num" data-total={valuation.total}>
                    {valuation.total}
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
