// The kitchen screen when its server goes away: it says it is offline, reconnects by itself when
// the server is back, resumes from the last change it saw, and shows every ticket placed
// meanwhile (through a second server on the same store) exactly once. And when the line goes
// silent without closing (the server frozen, as a dropped Wi-Fi looks from the screen): the
// screen notices by itself, and comes back when the server does.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiAs, device, freePort, launch, shot, signIn, startServer } from "./harness.mjs";

let a, b, browser;
const portA = freePort();
before(async () => {
  a = await startServer(portA);
  b = await startServer(portA + 1);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await a?.stop();
  await b?.stop();
});

async function placeAndSend(api, burger) {
  const placed = await api("POST", "/api/v1/pos/orders", { order_type: "takeout", lines: [{ menu_item_id: burger, quantity: 1 }] });
  await api("POST", `/api/v1/pos/orders/${placed.id}/send-to-kitchen`);
  const order = await api("GET", `/api/v1/pos/orders/${placed.id}`);
  return String(order.number);
}

test("the kitchen screen survives its server going away and coming back", async () => {
  const viaB = await apiAs(b.base, "carl");
  const menu = await viaB("GET", "/api/v1/menu/items?limit=500");
  const burger = menu.items.find((i) => i.details.name === "Bistro Burger").id;

  const kitchen = await device(browser, a.base, { width: 1920, height: 1080 });
  await signIn(kitchen.page, "kim");
  await kitchen.page.goto("/kitchen/grill");
  await kitchen.page.locator(".live-live").waitFor();
  const first = await placeAndSend(await apiAs(a.base, "carl"), burger);
  const ticket = (n) => kitchen.page.locator(`article.ticket[data-order="${n}"]`);
  await ticket(first).waitFor();

  await a.stop();
  await kitchen.page.locator(".live-offline").waitFor({ timeout: 15_000 });
  await shot(kitchen.page, "kitchen-offline-1920x1080");
  const missed = [await placeAndSend(viaB, burger), await placeAndSend(viaB, burger)];

  a = await startServer(portA);
  await kitchen.page.locator(".live-live").waitFor({ timeout: 30_000 });
  for (const n of [first, ...missed]) await ticket(n).waitFor({ timeout: 10_000 });
  // A change after the reconnection arrives too.
  const later = await placeAndSend(viaB, burger);
  await ticket(later).waitFor({ timeout: 10_000 });
  for (const n of [first, ...missed, later]) assert.equal(await ticket(n).count(), 1, `ticket #${n} is shown once`);
  assert.equal(await kitchen.page.locator("[role=alert]").count(), 0, "no error was left on the screen");
  await shot(kitchen.page, "kitchen-grill-1920x1080");
  await kitchen.context.close();
});

test("a feed gone silent is noticed, and the screen comes back with what it missed", async () => {
  const viaB = await apiAs(b.base, "carl");
  const menu = await viaB("GET", "/api/v1/menu/items?limit=500");
  const burger = menu.items.find((i) => i.details.name === "Bistro Burger").id;
  const kitchen = await device(browser, a.base);
  // Three seconds of silence is a lost line here (45 s in a kitchen: three missed keep-alives).
  await kitchen.context.addInitScript(() => localStorage.setItem("brigade.feedSilenceMs", "3000"));
  await signIn(kitchen.page, "kim");
  await kitchen.page.goto("/kitchen/grill");
  await kitchen.page.locator(".live-live").waitFor();

  a.child.kill("SIGSTOP");
  let missed;
  try {
    await kitchen.page.locator(".live-offline, .live-connecting").waitFor({ timeout: 20_000 });
    missed = await placeAndSend(viaB, burger);
  } finally {
    a.child.kill("SIGCONT");
  }
  await kitchen.page.locator(".live-live").waitFor({ timeout: 30_000 });
  const ticket = kitchen.page.locator(`article.ticket[data-order="${missed}"]`);
  await ticket.waitFor({ timeout: 10_000 });
  assert.equal(await ticket.count(), 1, `ticket #${missed} is shown once`);
  await kitchen.context.close();
});
