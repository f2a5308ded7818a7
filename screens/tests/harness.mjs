// The browser tests' harness: a real `brigade serve` (the database, NATS and demo restaurant the
// calling script prepared), Debian's Chromium driven by playwright-core, and a few helpers. The
// server is a child of the tests so that a test can take it away and bring it back.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const BIN = process.env.BRIGADE_BIN ?? "../target/debug/brigade";
export const ARTIFACTS = new URL("../test-results/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
export const PASSWORD = "brigade-demo";

/** A `brigade serve` on `port`, with the screens; resolves once it is ready. */
export async function startServer(port, extraEnv = {}) {
  const child = spawn(BIN, ["serve"], {
    env: { ...process.env, BRIGADE_HTTP_ADDR: `127.0.0.1:${port}`, BRIGADE_SCREENS_DIR: "dist", ...extraEnv },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`brigade serve exited: ${log}`);
    try {
      const r = await fetch(`${base}/health/ready`);
      if (r.ok) return { base, child, log: () => log, stop: () => stopServer(child) };
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`brigade serve did not become ready: ${log}`);
}

export async function stopServer(child, signal = "SIGTERM") {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
  await exited;
}

/** Debian's Chromium, headless, with nothing of its own reaching for the network. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A new browser context (its own storage: one device) at a screen size. */
export async function device(browser, base, size = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ baseURL: base, viewport: size });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}

/** Signs in through the sign-in form, as a person would. */
export async function signIn(page, username) {
  await page.goto("/");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".topbar").waitFor();
}

/** The API, from the tests' side (to read expectations, not to act for the screens). */
export async function apiAs(base, username) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status}`);
  const { access_token } = await r.json();
  return async (method, path, body) => {
    const answer = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

export async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
}

export function freePort() {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

/**
 * A test file's server and browser: started before its tests, stopped after them. Returns an
 * object whose `server` and `browser` are set once the file's `before` hook has run.
 */
export function serverAndBrowser() {
  const shared = { server: null, browser: null };
  before(async () => {
    shared.server = await startServer(freePort());
    shared.browser = await launch();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}
