// The golden path's demo page in real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core), against the real server:
// a run shows as a timeline, the connection is cut and restored while
// another tab runs the agent, and the page resumes with every event exactly
// once. Saves target/screenshots/golden_path.png.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";

import { chromium } from "playwright-core";

import { AgentwireClient } from "../dist/agentwire.js";
import { demoToken, freshUser, repoRoot, startProxy, startServer, until } from "./support.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = join(repoRoot, "target/screenshots/golden_path.png");

let server;
let proxy;
// `launch` gives Chromium a new, empty profile of its own.
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  server = await startServer();
  // The page is loaded through the proxy, so its WebSocket (and token
  // fetches) go through it too, and the test can cut them.
  proxy = await startProxy(server.port);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.stop();
});

/** The seqs the page listed, in order. */
const pageSeqs = (page) => page.$$eval("#events li", (items) => items.map((li) => Number(li.dataset.seq)));

it("shows a run, resumes after a cut connection without duplicates or gaps", { timeout: 120_000 }, async () => {
  const user = freshUser("browser");
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${proxy.httpUrl}/?user=${user}`);
  await page.waitForSelector('#connection[data-state="open"]');
  assert.equal(await page.textContent("#state-text"), "connected");
  assert.equal(await page.textContent("#user"), user);

  // A run, typed in and sent.
  await page.fill("#message", "find GPU prices");
  await page.click("#send");
  await page.waitForSelector('.run[data-status="completed"]');
  const run = page.locator(".run").first();
  assert.match(await run.locator(".agent").textContent(), /researcher/);
  assert.match(await run.locator(".badge").first().textContent(), /^completed · \d+ ms$/);
  const thoughts = await run.locator("li.thinking .what").allTextContents();
  assert.deepEqual(thoughts, ["Reading: find GPU prices", "Summarising"]);
  const tool = run.locator("li.tool");
  assert.equal(await tool.getAttribute("data-status"), "success");
  assert.match(await tool.textContent(), /search.*"q":"find GPU prices".*success · \d+ ms/s);
  assert.match(await run.locator(".result").textContent(), /found 3 results for \\"find GPU prices\\"/);
  assert.deepEqual(await pageSeqs(page), [1, 2, 3, 4, 5, 6]);

  // The network fails: the page says so and keeps trying.
  proxy.block();
  await page.waitForSelector('#connection[data-state="reconnecting"]');
  assert.match(await page.textContent("#state-text"), /reconnecting in .* closed 1006/);
  assert.equal(await page.isDisabled("#send"), true);

  // Meanwhile another tab of the same user runs the agent (and fails).
  const other = new AgentwireClient({ url: server.wsUrl, token: () => demoToken(server.httpUrl, user) }).connect();
  await until(() => other.state === "open", "the other tab");
  let otherDone = false;
  other.on("agent_completed", () => (otherDone = true));
  other.sendUserMessage("this search will fail");
  await until(() => otherDone, "the other tab's run");
  other.close();
  assert.equal(await page.locator(".run").count(), 1, "nothing arrived while cut off");

  // The network is back: the page resumes after #6 and gets the missed run.
  proxy.unblock();
  await page.waitForSelector('.run[data-status="failed"]', { timeout: 30_000 });
  await page.waitForSelector('#connection[data-state="open"]');
  const failed = page.locator('.run[data-status="failed"]');
  assert.equal(await failed.locator("li.tool").getAttribute("data-status"), "error");
  assert.match(await failed.locator(".result").textContent(), /Error: could not research "this search will fail"/);
  assert.match(await page.textContent("#notices"), /resumed after #6: 5 missed events replayed/);
  assert.deepEqual(await pageSeqs(page), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "every event once, in order");
  const stats = await page.evaluate(() => window.agentwireDemo.client.stats);
  assert.equal(stats.duplicates, 0);
  assert.equal(stats.gaps, 0);
  assert.ok(stats.connections >= 2);

  // And live events still flow.
  await page.fill("#message", "compare H100 offers");
  await page.click("#send");
  await until(async () => (await page.locator('.run[data-status="completed"]').count()) === 2, "the third run");
  assert.deepEqual(await pageSeqs(page), Array.from({ length: 17 }, (_, i) => i + 1));
  assert.deepEqual(problems, []);

  mkdirSync(join(repoRoot, "target/screenshots"), { recursive: true });
  await page.evaluate(() => {
    document.getElementById("raw").open = true;
  });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);
  await page.close();
});
