// The screens' first load (`make bench`, issue 17): bytes over the wire and time until a kitchen
// screen is usable (signed in, its tickets drawn, its feed live), on loopback in Debian's
// Chromium with an empty cache, as a wall-mounted display starts in the morning. Five loads; the
// median and the worst are printed, with the sign-in page's and the back office's bytes beside.
import { chromium } from "playwright-core";

const base = process.env.BRIGADE_URL;
if (!base) throw new Error("BRIGADE_URL is not set (scripts/bench.sh starts a server)");
const RUNS = 5;

const login = await fetch(`${base}/api/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: process.env.BENCH_USER ?? "maria", password: "brigade-demo" }),
});
const session = await login.json();
const stored = JSON.stringify({
  access: session.access_token,
  refresh: session.refresh_token,
  expires: Date.now() + session.expires_in * 1000,
  user: session.user,
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** Loads `path` in a fresh context; resolves to [bytes on the wire, ms until each of `ready` is visible]. */
async function load(path, ready, signedIn) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  if (signedIn) await context.addInitScript((s) => localStorage.setItem("brigade.session", s), stored);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0;
  // Each response's size on the wire (headers and compressed body); the live feed is excluded,
  // being a stream that never finishes loading.
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  const began = performance.now();
  await page.goto(`${base}${path}`);
  for (const selector of [ready].flat()) await page.locator(selector).first().waitFor({ timeout: 10_000 });
  const ms = performance.now() - began;
  await context.close();
  return [bytes, ms];
}

function summary(results) {
  const sorted = (i) => results.map((r) => r[i]).sort((a, b) => a - b);
  const median = (xs) => xs[Math.floor(xs.length / 2)];
  const [bytes, ms] = [sorted(0), sorted(1)];
  return { bytes: median(bytes), ms: median(ms), worstMs: ms[ms.length - 1] };
}

const kitchen = [];
for (let i = 0; i < RUNS; i++) kitchen.push(await load("/kitchen/grill", [".live-live", ".tickets article.ticket, .tickets .quiet"], true));
const signin = await load("/", "form[aria-label='Sign in']", false);
const office = await load("/office/pnl", ".chart canvas", true);
await browser.close();

const k = summary(kitchen);
console.log(`screens' first load on loopback, empty cache, ${RUNS} runs:`);
console.log(`  kitchen screen (/kitchen/grill, signed in, until its tickets are drawn and its feed is live): ${(k.bytes / 1024).toFixed(1)} KB transferred, ${k.ms.toFixed(0)} ms median, ${k.worstMs.toFixed(0)} ms worst`);
console.log(`  sign-in page: ${(signin[0] / 1024).toFixed(1)} KB, ${signin[1].toFixed(0)} ms; back office P&L with its chart: ${(office[0] / 1024).toFixed(1)} KB, ${office[1].toFixed(0)} ms`);
const met = (ok) => (ok ? "met" : "NOT met");
console.log(`  targets: under 300 KB compressed: ${met(k.bytes < 300 * 1024)}; usable under 1 s: ${met(k.worstMs < 1000)}`);
