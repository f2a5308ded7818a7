// The back office: the manager's figures and the day's paperwork, one tab per job, each shown
// only when the user's roles open its route. Loaded on first use, with the chart library, so the
// kitchen and the floor never download it.
import type { ScreenProps } from "../app";
import { go } from "../ui/route";
import { Health } from "./health";
import { MenuMatrix } from "./menu";
import { ProfitAndLoss } from "./pnl";
import { Purchasing } from "./purchasing";
import { Stock } from "./stock";
import { Transfers } from "./transfers";

const TABS = [
  { key: "pnl", title: "P&L", route: "/api/v1/accounting/reports/pl-statement", Tab: ProfitAndLoss },
  { key: "menu", title: "Menu engineering", route: "/api/v1/accounting/product-categories/bcg-matrix", Tab: MenuMatrix },
  { key: "stock", title: "Stock", route: "/api/v1/stock/levels", Tab: Stock },
  { key: "purchasing", title: "Purchase orders", route: "/api/v1/procurement/purchase-orders", Tab: Purchasing },
  { key: "transfers", title: "Transfers", route: "/api/v1/stock/transfers", Tab: Transfers },
  { key: "health", title: "Projections", route: null, Tab: Health },
] as const;

export function Office({ can, path }: ScreenProps) {
  const open = TABS.filter((t) => t.route === null || can.can("GET", t.route));
  const tab = open.find((t) => t.key === path[1]) ?? open[0];
  return (
    <main class="office">
      <nav class="tabs" aria-label="Back office">
        {open.map((t) => (
          <button type="button" key={t.key} class={t === tab ? "active" : ""} onClick={() => go(`/office/${t.key}`)}>
            {t.title}
          </button>
        ))}
      </nav>
      <tab.Tab can={can} path={path} />
    </main>
  );
}
