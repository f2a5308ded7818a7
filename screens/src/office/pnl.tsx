// The P&L in the Uniform System of Accounts for Restaurants layout: sales, cost of sales, gross
// profit, labor, prime cost, other controllable expenses, net; each line with its share of
// sales; one column per day, week or month and the total. Above it, net sales, cost of sales and
// labor over the periods.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ChartConfiguration } from "chart.js";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { ChartCanvas } from "./chart";
import { PeriodPicker, usePeriod } from "./period";

type Report = components["schemas"]["PlReport"];
type Statement = components["schemas"]["PlStatement"];
type Grouping = components["schemas"]["Grouping"];
type Method = components["schemas"]["Method"];

interface Row {
  title: string;
  value: (s: Statement) => string;
  strong?: boolean;
  indent?: boolean;
}

const ROWS: Row[] = [
  { title: "Food sales", value: (s) => s.food_sales, indent: true },
  { title: "Beverage sales", value: (s) => s.beverage_sales, indent: true },
  { title: "Discounts", value: (s) => s.discounts, indent: true },
  { title: "Refunds", value: (s) => s.refunds, indent: true },
  { title: "Net sales", value: (s) => s.net_sales, strong: true },
  { title: "Food cost", value: (s) => s.food_cost, indent: true },
  { title: "Beverage cost", value: (s) => s.beverage_cost, indent: true },
  { title: "Cost of sales", value: (s) => s.cost_of_sales, strong: true },
  { title: "Gross profit", value: (s) => s.gross_profit, strong: true },
  { title: "Labor", value: (s) => s.labor },
  { title: "Prime cost", value: (s) => s.prime_cost, strong: true },
  { title: "Wastage", value: (s) => s.wastage, indent: true },
];

export function ProfitAndLoss(_: ScreenProps) {
  const [period, setPeriod] = usePeriod();
  const [groupBy, setGroupBy] = useState<Grouping>("day");
  const [method, setMethod] = useState<Method>("fifo");
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    call(() =>
      api.GET("/api/v1/accounting/reports/pl-statement", {
        params: { query: { from: period.from, to: period.to, group_by: groupBy, method } },
      }),
    )
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch(setError);
  }, [period, groupBy, method]);

  const others = report ? [...new Set(report.periods.flatMap((p) => Object.keys(p.other_expenses)).concat(Object.keys(report.total.other_expenses)))] : [];
  const rows: Row[] = [
    ...ROWS,
    ...others.map((name) => ({ title: name, value: (s: Statement) => s.other_expenses[name] ?? "0.00", indent: true })),
    { title: "Net profit", value: (s) => s.net_profit, strong: true },
  ];
  const chart = useMemo<ChartConfiguration | null>(() => {
    if (!report) return null;
    const series = (title: string, pick: (s: Statement) => string, color: string) => ({
      label: title,
      data: report.periods.map((p) => Number(pick(p))),
      backgroundColor: color,
      borderColor: color,
    });
    return {
      type: "bar",
      data: {
        labels: report.periods.map((p) => p.period),
        datasets: [
          series("Net sales", (s) => s.net_sales, "#3b82f6"),
          series("Cost of sales", (s) => s.cost_of_sales, "#f59e0b"),
          series("Labor", (s) => s.labor, "#a855f7"),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { datalabels: { display: false }, legend: { position: "bottom" } },
      },
    };
  }, [report]);

  return (
    <section class="report" aria-label="Profit and loss">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <PeriodPicker period={period} onChange={setPeriod} />
        <label>
          By{" "}
          <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as Grouping)}>
            <option value="day">Day</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
          </select>
        </label>
        <label>
          Cost{" "}
          <select value={method} onChange={(e) => setMethod(e.currentTarget.value as Method)}>
            <option value="fifo">FIFO</option>
            <option value="weighted_average">Weighted average</option>
          </select>
        </label>
      </form>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {chart && <ChartCanvas config={chart} label="Net sales, cost of sales and labor by period" />}
      {report && (
        <div class="scroll">
          <table class="figures pnl">
            <thead>
              <tr>
                <th scope="col">{report.timezone}</th>
                {report.periods.map((p) => (
                  <th scope="col" key={p.period}>
                    {p.period}
                  </th>
                ))}
                <th scope="col">Total</th>
                <th scope="col">% of sales</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.title} class={row.strong ? "strong" : ""} data-row={row.title}>
                  <th scope="row" class={row.indent ? "indent" : ""}>
                    {row.title}
                  </th>
                  {report.periods.map((p) => (
                    <td key={p.period} class="num">
                      {row.value(p)}
                    </td>
                  ))}
                  <td class="num total">{row.value(report.total)}</td>
                  <td class="num">{share(row.value(report.total), report.total.net_sales)}</td>
                </tr>
              ))}
              <tr>
                <th scope="row">Covers · closed orders</th>
                {report.periods.map((p) => (
                  <td key={p.period} class="num">
                    {p.covers} · {p.closed_orders}
                  </td>
                ))}
                <td class="num total">
                  {report.total.covers} · {report.total.closed_orders}
                </td>
                <td />
              </tr>
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function share(value: string, sales: string): string {
  const s = Number(sales);
  return s === 0 ? "—" : `${((Number(value) / s) * 100).toFixed(1)}%`;
}
