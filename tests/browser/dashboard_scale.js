// The dashboard with 2,000 shards (tests/integration/dashboard_scale.sh runs the wave):
// opens the wave, waits for the full grid (then the agents start: SW_READY_FILE), follows the live
// updates until the stage bakes, checks every cell's state against the API, and prints
// the figures: time to the first full render (wall clock, and the page's own script
// time), script time per update, long tasks, the bytes of the grid vs the detail, and the
// time to show the start page (fleet and waves) with the 2,000-shard fleet.
"use strict";

const fs = require("fs");
const { env, log, check, checkEq, openBrowser, api, waitUntil, run } = require("./lib");

const base = env("SW_COORD_URL");
const opToken = env("SW_OP_TOKEN");
const wave = env("SW_WAVE");
const nShards = Number(env("SW_N_SHARDS"));
const first = Number(env("SW_FIRST"));

async function main() {
  const grid = await api(base, opToken, "GET", `/v1/waves/${wave}/grid`);
  const detail = await api(base, opToken, "GET", `/v1/waves/${wave}`);
  checkEq(grid.status, 200, "GET grid");
  checkEq(grid.body.shards.length, nShards, "grid rows");
  const { browser, page, problems } = await openBrowser();
  try {
    await page.goto(`${base}/#/waves/${wave}`);
    await page.evaluate(() => {
      window.swLongTasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.swLongTasks.push(e.duration)))
        .observe({ type: "longtask", buffered: true });
    });
    await page.locator("#token").fill(opToken);
    const t0 = Date.now();
    await page.locator("#login-form button[type=submit]").click();
    await page.waitForFunction((n) => document.querySelectorAll("#stages .c").length === n, nShards,
      { timeout: 30000 });
    const wallMs = Date.now() - t0;
    fs.writeFileSync(env("SW_READY_FILE"), "rendered\n"); // the agents start now

    // Follow the first stage until it bakes and the page shows it.
    await waitUntil("the first stage to bake", async () => {
      const r = await api(base, opToken, "GET", `/v1/waves/${wave}/grid`);
      return r.body.stage_phase === "baking" ? r : null;
    }, 60000);
    await page.waitForFunction((f) => (document.querySelector("#stages li:first-child .counts").textContent || "")
      .startsWith(`${f} shards: ${f} done`), first, { timeout: 20000 });

    // Every cell against the API.
    const final = await api(base, opToken, "GET", `/v1/waves/${wave}/grid`);
    const classes = await page.$$eval("#stages .c", (cells) => cells.map((c) => c.className));
    checkEq(classes.length, nShards, "cells");
    const byStage = new Map();
    final.body.shards.forEach((s) => {
      if (!byStage.has(s[1])) byStage.set(s[1], []);
      byStage.get(s[1]).push(s);
    });
    const ordered = [...byStage.keys()].sort((a, b) => a - b).flatMap((k) => byStage.get(k));
    let mismatched = 0;
    ordered.forEach((s, i) => {
      if (!classes[i].split(" ").includes(`s-${final.body.states[s[2]]}`)) mismatched++;
    });
    checkEq(mismatched, 0, "cells whose state differs from the API");

    // The start page with the 2,000-shard fleet (histogram, drift, waves).
    const waveLongTasks = await page.evaluate(() => window.swLongTasks.slice());
    const t1 = Date.now();
    await page.evaluate(() => { location.hash = "#/"; });
    await page.waitForFunction((n) => (document.getElementById("fleet-summary").textContent || "")
      .startsWith(`${n} shards`) && document.querySelectorAll("#waves tbody tr").length > 0, nShards,
    { timeout: 30000 });
    const fleetMs = Date.now() - t1;
    const fleet = await api(base, opToken, "GET", "/v1/fleet?shards=false");
    const fullFleet = await api(base, opToken, "GET", "/v1/fleet");

    const stats = await page.evaluate(() => window.swDashboard.stats);
    const fleetLongTasks = (await page.evaluate(() => window.swLongTasks)).slice(waveLongTasks.length);
    const longTasks = waveLongTasks;
    const measures = await page.evaluate(() =>
      performance.getEntriesByName("sw-update").map((m) => m.duration));
    check(stats.updates > 0, "at least one live update with changes");
    const mean = measures.reduce((a, b) => a + b, 0) / Math.max(1, measures.length);
    log(`${nShards} shards: first full render ${wallMs} ms after the token (wall clock), ` +
      `${stats.firstRenderMs.toFixed(1)} ms of it in the page's render script`);
    log(`live updates: ${stats.updates} with changes, script time mean ${mean.toFixed(1)} ms, ` +
      `max ${stats.maxUpdateMs.toFixed(1)} ms; ${stats.notModified} polls answered 304`);
    log(`long tasks (> 50 ms) on the wave page: ${longTasks.length}` +
      (longTasks.length ? `, longest ${Math.max(...longTasks).toFixed(0)} ms` : ""));
    log(`bytes per poll: grid ${grid.text.length}, full detail ${detail.text.length}`);
    log(`start page (fleet of ${nShards}: ${fleet.text.length} bytes without the shard list, ` +
      `${fullFleet.text.length} with it; histogram, drift, waves): ${fleetMs} ms, ` +
      `long tasks: ${fleetLongTasks.length}` +
      (fleetLongTasks.length ? `, longest ${Math.max(...fleetLongTasks).toFixed(0)} ms` : ""));
    check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
  } finally {
    await browser.close();
  }
}

run(main);
