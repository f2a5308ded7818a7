// Each person sees their screens and actions, and no other (the screens read the API's access
// table; these expectations are written out by hand, from the seed's roles, so that a screen
// showing what a role may not do fails here); a token that stops working is renewed without the
// person noticing, a session that cannot be renewed goes back to sign-in saying so, and what the
// API refuses is shown in its words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs, device, serverAndBrowser, shot, signIn } from "./harness.mjs";

const shared = serverAndBrowser();

const SCREENS = {
  // A cook also asks the stock for what the line needs (transfers) and reads its levels.
  kim: { lands: "/kitchen", nav: ["Back office", "Kitchen"] },
  carl: { lands: "/floor", nav: ["Floor & till"] },
  maria: { lands: "/office", nav: ["Back office", "Floor & till", "Kitchen"] },
  alex: { lands: "/office", nav: ["Back office"] },
  paula: { lands: "/office", nav: ["Back office"] },
};

test("each role lands on its screen and sees only the screens it may use", async () => {
  for (const [user, want] of Object.entries(SCREENS)) {
    const { context, page } = await device(shared.browser, shared.server.base);
    await signIn(page, user);
    await page.waitForURL((url) => url.pathname !== "/" && url.pathname !== "/signin");
    assert.equal(new URL(page.url()).pathname, want.lands, `${user} lands on ${want.lands}`);
    const nav = await page.locator(".topbar nav a").allTextContents();
    assert.deepEqual(nav, want.nav, `${user}'s screens`);
    await context.close();
  }
});

test("a screen the role does not open says so, and actions follow the roles", async () => {
  const carl = await device(shared.browser, shared.server.base);
  await signIn(carl.page, "carl");
  await carl.page.goto("/kitchen");
  await carl.page.getByRole("alert").getByText("Your roles do not open the kitchen.").waitFor();
  await carl.context.close();

  // The accountant reads purchase orders but may not approve them; a manager may (and not the
  // buyer who raised it: four eyes, a rule of the domain that the server states when asked).
  const viaPaula = await apiAs(shared.server.base, "paula");
  const suppliers = await viaPaula("GET", "/api/v1/procurement/suppliers?limit=1");
  const items = await viaPaula("GET", "/api/v1/stock/inventory?limit=1");
  const po = await viaPaula("POST", "/api/v1/procurement/purchase-orders", {
    supplier_id: suppliers.items[0].id,
    lines: [{ inventory_item_id: items.items[0].id, quantity: "2", unit_price: "3.50" }],
  });
  await viaPaula("POST", `/api/v1/procurement/purchase-orders/${po.id}/submit`);
  for (const [user, approves] of [["alex", false], ["maria", true]]) {
    const { context, page } = await device(shared.browser, shared.server.base);
    await signIn(page, user);
    await page.goto("/office/purchasing");
    const row = page.locator(`tr[data-po="${po.id}"]`);
    await row.waitFor();
    assert.equal(await row.getByRole("button", { name: "Approve" }).count(), approves ? 1 : 0, `${user} approves: ${approves}`);
    if (approves) {
      await row.getByRole("button", { name: "Approve" }).click();
      await page.locator(`tr[data-po="${po.id}"]`, { hasText: "Approved" }).waitFor();
      assert.equal(await row.getByRole("button", { name: "Approve" }).count(), 0, "approved once");
      await shot(page, "office-purchasing-1280x800");
    }
    await context.close();
  }
});

test("a token that stops working is renewed unnoticed; a session that cannot be is ended, saying so", async () => {
  const { context, page } = await device(shared.browser, shared.server.base);
  await signIn(page, "carl");
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem("brigade.session")));
  const spoil = (fields) =>
    page.evaluate((f) => {
      const s = JSON.parse(localStorage.getItem("brigade.session"));
      for (const k of f) s[k] = `spoiled-${k}`;
      localStorage.setItem("brigade.session", JSON.stringify(s));
    }, fields);

  // The access token no longer works (as after its 15 minutes): the next call renews it.
  await spoil(["access"]);
  await page.reload();
  await page.getByRole("button", { name: "New order" }).click();
  await page.getByRole("button", { name: /Bistro Burger/ }).waitFor();
  const renewed = await stored();
  assert.ok(renewed.access && !renewed.access.startsWith("spoiled"), "a new access token was stored");
  assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 0, "still signed in");

  // Neither token works (the session was revoked): back to sign-in, saying why.
  await spoil(["access", "refresh"]);
  await page.reload();
  await page.getByText("Your session has ended: please sign in again.").waitFor();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await context.close();
});

test("what the API refuses is shown in its words, and nothing is done", async () => {
  const { context, page } = await device(shared.browser, shared.server.base, { width: 1024, height: 768 });
  await signIn(page, "carl");
  const orders = await (await apiAs(shared.server.base, "carl"))("GET", "/api/v1/pos/orders?status=open&limit=500");
  await page.getByRole("button", { name: "New order" }).click();
  await page.getByRole("button", { name: /Cheeseburger/ }).click();
  // Dine-in with no table: the server refuses it.
  await page.getByRole("button", { name: "Send to kitchen" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  const words = await alert.textContent();
  assert.match(words, /table/i, `the refusal names the table: ${words}`);
  assert.equal(words.match(/needs a table/g)?.length, 1, `said once: ${words}`);
  await shot(page, "floor-refusal-1024x768");
  const after = await (await apiAs(shared.server.base, "carl"))("GET", "/api/v1/pos/orders?status=open&limit=500");
  assert.equal(after.items.length, orders.items.length, "no order was placed");

  // A wrong password at sign-in is said, too.
  const other = await device(shared.browser, shared.server.base);
  await other.page.goto("/");
  await other.page.getByLabel("Username").fill("carl");
  await other.page.getByLabel("Password").fill("not-the-password");
  await other.page.getByRole("button", { name: "Sign in" }).click();
  await other.page.getByRole("alert").getByText("invalid username or password").waitFor();
  await other.context.close();
  await context.close();
});
