// Menu engineering (Kasavana and Smith): each item a labelled point, popularity (its share of
// the items sold) across, contribution margin up; the two thresholds (70% of an equal share, and
// the average margin) drawn as lines, so the four quadrants read as people expect: stars top
// right, plowhorses bottom right, puzzles top left, dogs bottom left. The table beside it says
// the same in figures.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ChartConfiguration } from "chart.js";
import type { ScreenProps } from "../app";
import { api, call } from "../api/client";
import type { components } from "../api/schema";
import { ErrorBanner } from "../ui/alert";
import { label } from "../ui/format";
import { ChartCanvas } from "./chart";
import { PeriodPicker, usePeriod } from "./period";

type Report = components["schemas"]["MenuReport"];
type Analysis = components["schemas"]["MenuAnalysis"];
type MenuClass = components["schemas"]["MenuClass"];

const COLOURS: Record<MenuClass, string> = { star: "#16a34a", plowhorse: "#2563eb", puzzle: "#d97706", dog: "#dc2626" };

export function MenuMatrix(_: ScreenProps) {
  const [period, setPeriod] = usePeriod();
  const [report, setReport] = useState<Report | null>(null);
  const [scope, setScope] = useState("overall");
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    call(() =>
      api.GET("/api/v1/accounting/product-categories/bcg-matrix", { params: { query: { from: period.from, to: period.to } } }),
    )
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch(setError);
  }, [period]);

  const analysis: Analysis | undefined = report ? (scope === "overall" ? report.overall : report.categories[scope]) : undefined;
  const chart = useMemo(() => (analysis ? matrix(analysis) : null), [analysis]);

  return (
    <section class="report" aria-label="Menu engineering">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <PeriodPicker period={period} onChange={setPeriod} />
        <label>
          Items{" "}
          <select value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
            <option value="overall">All</option>
            {Object.keys(report?.categories ?? {}).map((c) => (
              <option key={c} value={c}>
                {label(c)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      {analysis && analysis.items.length === 0 && <p class="quiet">Nothing sold in this period.</p>}
      {analysis && analysis.items.length > 0 && (
        <div class="side-by-side">
          {chart && <ChartCanvas config={chart} label="Menu engineering matrix: popularity against contribution margin" />}
          <table class="figures" aria-label="Menu items">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Sold</th>
                <th scope="col">Mix %</th>
                <th scope="col">CM</th>
                <th scope="col">Total CM</th>
                <th scope="col">Class</th>
              </tr>
            </thead>
            <tbody>
              {analysis.items.map((i) => (
                <tr key={i.menu_item_id} data-item={i.name}>
                  <th scope="row">{i.name}</th>
                  <td class="num">{i.sold}</td>
                  <td class="num">{i.menu_mix_pct}</td>
                  <td class="num">{i.cm}</td>
                  <td class="num">{i.total_cm}</td>
                  <td>
                    <span class={`class-${i.class}`}>{label(i.class)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Thresholds</th>
                <td />
                <td class="num">{analysis.popularity_threshold_pct}</td>
                <td class="num">{analysis.average_cm}</td>
                <td class="num">{analysis.total_cm}</td>
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}

function matrix(a: Analysis): ChartConfiguration {
  const points = a.items.map((i) => ({ x: Number(i.menu_mix_pct), y: Number(i.cm), name: i.name, cls: i.class }));
  const popularity = Number(a.popularity_threshold_pct);
  const margin = Number(a.average_cm);
  const xMax = Math.max(popularity * 2, ...points.map((p) => p.x)) * 1.15;
  const yMax = Math.max(margin * 2, ...points.map((p) => p.y)) * 1.15;
  const yMin = Math.min(0, ...points.map((p) => p.y));
  const line = (title: string, data: { x: number; y: number }[]) => ({
    type: "line" as const,
    label: title,
    data,
    borderColor: "#94a3b8",
    borderDash: [6, 4],
    pointRadius: 0,
    datalabels: { display: false },
  });
  return {
    type: "scatter",
    data: {
      datasets: [
        // One series per class, so the legend names the quadrants in their colours.
        ...(["star", "plowhorse", "puzzle", "dog"] as const).map((cls) => {
          const mine = points.filter((p) => p.cls === cls);
          return {
            label: `${cls.charAt(0).toUpperCase()}${cls.slice(1)}s`,
            data: mine,
            pointRadius: 7,
            backgroundColor: COLOURS[cls],
            borderColor: COLOURS[cls],
            datalabels: {
              align: "top" as const,
              color: "#e2e8f0",
              formatter: (_v: unknown, ctx: { dataIndex: number }) => mine[ctx.dataIndex].name,
            },
          };
        }),
        line(`Popularity threshold ${a.popularity_threshold_pct}%`, [
          { x: popularity, y: yMin },
          { x: popularity, y: yMax },
        ]),
        line(`Average CM ${a.average_cm}`, [
          { x: 0, y: margin },
          { x: xMax, y: margin },
        ]),
      ],
    } as ChartConfiguration["data"],
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { type: "linear", min: 0, max: xMax, title: { display: true, text: "Popularity (menu mix %)" } },
        y: { min: yMin, max: yMax, title: { display: true, text: "Contribution margin" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  };
}
