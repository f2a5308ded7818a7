// The back office's paperwork and figures through the browser: stock levels with the low ones
// marked, the valuation by either method matching the API's to the cent, a transfer validated
// with a smaller quantity than asked, and the projections' health with the operator's details.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs, device, serverAndBrowser, shot, signIn } from "./harness.mjs";

const shared = serverAndBrowser();

test("stock levels, alerts and valuation as the API has them", async () => {
  const sam = await apiAs(shared.server.base, "sam");
  const alerts = (await sam("GET", "/api/v1/stock/alerts")).alerts;
  const fifo = await sam("GET", "/api/v1/stock/reports/valuation?method=fifo");
  const average = await sam("GET", "/api/v1/stock/reports/valuation?method=weighted_average");
  const { context, page } = await device(shared.browser, shared.server.base, { width: 1440, height: 900 });
  await signIn(page, "sam");
  await page.goto("/office/stock");
  await page.locator("table[aria-label='Stock levels'] tbody tr").first().waitFor();
  const low = await page.locator("table[aria-label='Stock levels'] tr.low").count();
  assert.equal(low > 0, alerts.length > 0, `${alerts.length} alerts, ${low} rows marked low`);
  await page.locator(`[data-total="${fifo.total}"]`).waitFor();
  await page.getByLabel("Method").selectOption("weighted_average");
  await page.locator(`[data-total="${average.total}"]`).waitFor();
  await page.getByLabel("Department").selectOption("bar");
  await page.waitForFunction(() =>
    [...document.querySelectorAll("table[aria-label='Stock levels'] tbody td:nth-child(2)")].every((td) => td.textContent === "Bar"),
  );
  await shot(page, "office-stock-1440x900");
  await context.close();
});

test("a transfer to the kitchen is validated by the kitchen with what arrived", async () => {
  const sam = await apiAs(shared.server.base, "sam");
  const levels = (await sam("GET", "/api/v1/stock/levels?department=stock")).levels;
  const item = levels.find((l) => Number(l.quantity) >= 3);
  const asked = await sam("POST", "/api/v1/stock/transfers", {
    from: "stock",
    to: "kitchen",
    lines: [{ inventory_item_id: item.item_id, quantity: "3" }],
  });
  const { context, page } = await device(shared.browser, shared.server.base, { width: 1280, height: 800 });
  await signIn(page, "kim");
  await page.goto("/office/transfers");
  const card = page.locator(`article[data-transfer="${asked.id}"]`);
  await card.waitFor();
  await card.getByRole("textbox").fill("2");
  await card.getByRole("button", { name: "Validate" }).click();
  await card.waitFor({ state: "detached" });
  const transfer = await sam("GET", `/api/v1/stock/transfers/${asked.id}`);
  assert.equal(transfer.status, "validated");
  assert.deepEqual(
    transfer.validation.lines.map((l) => [l.inventory_item_id, Number(l.validated)]),
    [[item.item_id, 2]],
    JSON.stringify(transfer.validation),
  );
  await context.close();
});

test("the projections' health, and the operator's details with the operator token", async () => {
  const { context, page } = await device(shared.browser, shared.server.base);
  await signIn(page, "maria");
  await page.goto("/office/health");
  await page.locator("[data-projection='kitchen_queue']").waitFor();
  await page.getByLabel("Operator token").fill(process.env.BRIGADE_OPERATOR_TOKEN);
  await page.getByRole("button", { name: "Show details" }).click();
  const details = page.locator("table[aria-label='Projection details']");
  await details.getByRole("rowheader", { name: "kitchen_queue" }).waitFor();
  // One partition, run by the server's own in-process workers (host:pid).
  const kitchen = details.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "kitchen_queue" }) });
  assert.equal(await kitchen.getByRole("cell").nth(0).textContent(), "all");
  assert.match(await kitchen.getByRole("cell").nth(1).textContent(), /^.+:\d+$/);
  await shot(page, "office-projections-1440x900");
  // A wrong token is refused in words.
  await page.getByLabel("Operator token").fill("not-the-token");
  await page.getByRole("button", { name: "Show details" }).click();
  await page.getByRole("alert").waitFor();
  await context.close();
});
