// Shared helpers of the dashboard's browser tests: headless Debian chromium through
// playwright-core, a small API client (Node's fetch) and checks that fail loudly.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.SW_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function log(...args) {
  console.log(`${path.basename(process.argv[1], ".js")}:`, ...args);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function checkEq(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`check failed: ${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function checkContains(text, needle, what) {
  if (!String(text).includes(needle)) {
    throw new Error(`check failed: ${what}: ${JSON.stringify(needle)} not in ${JSON.stringify(text)}`);
  }
}

/* Collects a page's console errors, page errors and CSP violations in `problems`. A
 * refused API call (401/403/409, and the statuses in `allowStatus`) is logged by Chromium
 * as a failed resource: expected. */
function watchPage(page, problems, allowStatus) {
  const expected = new RegExp(`status of (${[401, 403, 409, ...allowStatus].join("|")})`);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !expected.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
}

/* Launches the browser and one page; console errors, page errors and CSP violations are
 * collected in `problems` (the caller checks it is empty at the end). `watch(page)` does
 * the same for another page of the context. opts.allowStatus: more expected statuses. */
async function openBrowser(viewport, opts) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const allow = (opts && opts.allowStatus) || [];
  watchPage(page, problems, allow);
  return { browser, context, page, problems, watch: (p) => watchPage(p, problems, allow) };
}

/* The page's token form: fills in the token and connects. */
async function login(page, token) {
  await page.locator("#login").waitFor({ state: "visible" });
  await page.locator("#token").fill(token);
  await page.locator("#login-form button[type=submit]").click();
}

async function text(page, sel) {
  return (await page.locator(sel).textContent()) || "";
}

/* Waits (20 s) until the element's text contains needle; returns the text. */
async function waitText(page, sel, needle) {
  await page.waitForFunction(
    ([s, n]) => (document.querySelector(s).textContent || "").includes(n),
    [sel, needle],
    { timeout: 20000 }
  );
  return text(page, sel);
}

/* The coordinator API from Node: {status, body}. */
async function api(base, token, method, p, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch (e) {
    json = null;
  }
  return { status: r.status, body: json, text, headers: r.headers };
}

/* Polls fn (async, truthy when done) every 100 ms until the deadline. */
async function waitUntil(what, fn, timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 20000);
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function outDir(name) {
  const dir = path.resolve(process.env.SW_TEST_OUTPUT_DIR || ".", name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/* Runs main; prints the failure (and exits 1) or "ok". */
function run(main) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`${path.basename(process.argv[1], ".js")}: FAIL: ${err.stack || err}`);
      process.exit(1);
    }
  );
}

module.exports = {
  env, log, check, checkEq, checkContains, openBrowser, login, text, waitText, api, waitUntil, outDir, run,
};
