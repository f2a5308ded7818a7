// The kitchen display by bump bar (a keyboard): digits select a ticket, S starts it, R rushes it,
// Enter bumps it, Z recalls the last bumped; and a second screen sees each of those changes live.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs, device, serverAndBrowser, shot, signIn } from "./harness.mjs";

const shared = serverAndBrowser();

test("the bump bar drives the expo, and the grill screen follows live", async () => {
  const carl = await apiAs(shared.server.base, "carl");
  const menu = await carl("GET", "/api/v1/menu/items?limit=500");
  const dish = (name) => menu.items.find((i) => i.details.name === name).id;

  // A clear pass: whatever other tests left open is bumped first, so the digits are known.
  const cook = await apiAs(shared.server.base, "kim");
  for (const t of (await cook("GET", "/api/v1/kitchen/orders")).tickets) {
    await cook("POST", `/api/v1/kitchen/orders/${t.order_id}/complete`);
  }

  const expo = await device(shared.browser, shared.server.base);
  const grill = await device(shared.browser, shared.server.base, { width: 1920, height: 1080 });
  await signIn(expo.page, "kim");
  await signIn(grill.page, "kim");
  await grill.page.goto("/kitchen/grill");
  for (const k of [expo, grill]) await k.page.locator(".live-live").waitFor();

  const numbers = [];
  for (const table of [11, 12]) {
    const placed = await carl("POST", "/api/v1/pos/orders", {
      order_type: "dine_in",
      table,
      lines: [{ menu_item_id: dish("Cheeseburger"), quantity: 1, modifications: ["medium rare"] }],
    });
    await carl("POST", `/api/v1/pos/orders/${placed.id}/send-to-kitchen`);
    numbers.push(String((await carl("GET", `/api/v1/pos/orders/${placed.id}`)).number));
  }
  const ticket = (k, n) => k.page.locator(`article.ticket[data-order="${n}"]`);
  for (const n of numbers) await ticket(expo, n).waitFor();
  // Only these two are open once the bumps above have reached the screen.
  await expo.page.waitForFunction(() => document.querySelectorAll("article.ticket").length === 2);
  const order = async (k) => (await k.page.locator("article.ticket").evaluateAll((els) => els.map((e) => e.dataset.order))).filter((n) => numbers.includes(n));
  assert.deepEqual(await order(expo), numbers, "oldest first");

  // Select the second ticket (2) and start it (S) faster than the screen redraws: both keys in one
  // task, so the second comes before the selection is drawn (a bump bar under a busy screen).
  // Then rush it (R): it goes first, on both screens.
  await expo.page.evaluate(() => {
    for (const key of ["2", "s"]) dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  });
  await ticket(expo, numbers[1]).locator(".tag", { hasText: "Cooking" }).waitFor();
  assert.equal(await ticket(expo, numbers[0]).locator(".tag", { hasText: "Cooking" }).count(), 0, "S started the ticket 2 selected");
  await expo.page.locator(`article.ticket.selected[data-order="${numbers[1]}"]`).waitFor();
  await ticket(grill, numbers[1]).locator(".tag", { hasText: "Cooking" }).waitFor();
  await expo.page.keyboard.press("r");
  await ticket(grill, numbers[1]).locator(".rush-tag").waitFor();
  await expo.page.waitForFunction((n) => document.querySelector("article.ticket")?.dataset.order === n, numbers[1]);
  assert.deepEqual(await order(grill), [numbers[1], numbers[0]], "rush first, on the grill too");
  assert.equal(await expo.page.locator(`article.ticket.selected[data-order="${numbers[1]}"]`).count(), 1, "the selection moved with its ticket");
  await shot(expo.page, "kitchen-expo-1280x800");

  // Bump the rushed ticket (still selected), then Z recalls it.
  await expo.page.keyboard.press("Enter");
  await ticket(expo, numbers[1]).waitFor({ state: "detached" });
  await ticket(grill, numbers[1]).waitFor({ state: "detached" });
  await expo.page.locator(".bumped li", { hasText: `#${numbers[1]}` }).waitFor();
  await expo.page.keyboard.press("z");
  await ticket(expo, numbers[1]).locator(".tag", { hasText: "Recalled" }).waitFor();
  await ticket(grill, numbers[1]).locator(".tag", { hasText: "Recalled" }).waitFor();
  for (const n of numbers) assert.equal(await ticket(grill, n).count(), 1, `#${n} once on the grill`);
  await shot(grill.page, "kitchen-grill-recalled-1920x1080");
  for (const k of [expo, grill]) await k.context.close();
});
