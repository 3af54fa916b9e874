// The dashboard in a real browser against a real coordinator and agents
// (tests/integration/dashboard_browser.sh sets the wave up: its first stage finished with
// one failed shard within budget and is baking, so the wave stays running).
// Token handling (401 and 403 in words, sessionStorage only), the fleet and waves views, the wave's grid filled with
// every shard and the failing shard's error, pause refused to a read token (403 in words),
// pause by an operator after a confirmation naming the wave (checked through the API),
// a second pause refused (409 illegal_transition in words), a cancelled abort that sends
// nothing, resume retrying the failed shard; screenshots in the test's output folder; no page or CSP errors.
"use strict";

const path = require("path");
const { env, log, check, checkEq, checkContains, openBrowser, login, text, waitText, api, outDir, run } =
  require("./lib");

const base = env("SW_COORD_URL");
const readToken = env("SW_READ_TOKEN");
const opToken = env("SW_OP_TOKEN");
const agentToken = env("SW_AGENT_TOKEN");
const wave = env("SW_WAVE");
const nShards = Number(env("SW_N_SHARDS"));
const failing = env("SW_FAILING_SHARD");

async function waveState() {
  const r = await api(base, readToken, "GET", `/v1/waves/${wave}/grid`);
  checkEq(r.status, 200, "GET grid");
  return r.body.state;
}

/* Clicks an action button, checks the dialog names the wave, then confirms (true),
 * cancels (false) or presses Escape ("escape"). */
async function action(page, name, verb, confirm) {
  await page.locator(`#wave button[data-action=${name}]`).click();
  const dlg = page.locator("#confirm");
  await dlg.waitFor({ state: "visible" });
  checkEq(await text(page, "#confirm-h"), `${verb} wave ${wave}?`, `${name} dialog title`);
  checkEq(await text(page, "#confirm-ok"), `${verb} wave ${wave}`, `${name} dialog button`);
  if (confirm === "escape") await page.keyboard.press("Escape");
  else await page.locator(confirm ? "#confirm-ok" : "#confirm-cancel").click();
  await dlg.waitFor({ state: "hidden" });
}

async function main() {
  const out = outDir("dashboard_browser");
  const { browser, page, problems } = await openBrowser();
  try {
    // The page and its security headers; no token yet: the login form.
    const resp = await page.goto(base + "/");
    checkEq(resp.status(), 200, "GET /");
    const h = resp.headers();
    checkContains(h["content-security-policy"], "script-src 'self'", "CSP");
    checkContains(h["content-security-policy"], "frame-ancestors 'none'", "CSP framing");
    checkEq(h["x-content-type-options"], "nosniff", "nosniff");
    checkContains(h["content-type"], "text/html", "Content-Type");
    check(h["etag"], "ETag on /");

    // A wrong token: 401 in words, the form stays.
    await login(page, "not-a-token-0123456789abcdef");
    const p401 = await waitText(page, "#problem", "401");
    checkContains(p401, "The coordinator did not accept the token (401 unauthorized: unknown token)", "401 text");
    check(await page.locator("#login").isVisible(), "login form after a 401");
    checkEq(await page.evaluate(() => sessionStorage.getItem("shardwave.token")), null,
      "a refused token is not kept");

    // An agent's token may not read: 403 in words.
    await page.locator("#token").fill(agentToken);
    await page.locator("#login-form button[type=submit]").click();
    const p403 = await waitText(page, "#problem", "403");
    checkContains(p403, "This token may not read the fleet and the waves (403 forbidden: token 'a-1' (role agent)",
      "403 on reading");
    checkContains(p403, "The dashboard needs a token with the read or operator role.", "403 on reading: hint");
    await page.locator("#logout").click();

    // A read token: the fleet and the waves list.
    await login(page, readToken);
    await page.getByRole("link", { name: wave }).waitFor();
    checkEq(await page.evaluate(() => sessionStorage.getItem("shardwave.token")), readToken,
      "the token in the tab's sessionStorage");
    checkEq(await page.evaluate(() => localStorage.length + document.cookie.length), 0,
      "nothing in localStorage or cookies");
    await page.waitForFunction(() => document.querySelectorAll("#histogram li").length > 0);
    checkContains(await text(page, "#fleet-summary"), `${nShards} shards`, "fleet summary");
    const row = await text(page, "#waves tbody tr");
    checkContains(row, "running", "waves list: state");
    await page.screenshot({ path: path.join(out, "overview.png"), fullPage: true });

    // The wave: every shard in the grid, the failed one with its error.
    const t0 = Date.now();
    await page.getByRole("link", { name: wave }).click();
    await page.waitForFunction((n) => document.querySelectorAll("#stages .c").length === n, nShards);
    log(`wave view: ${nShards} cells in ${Date.now() - t0} ms`);
    checkEq(await text(page, "#wave-state"), "running", "state badge");
    // One coordinator on SQLite (always the leader): no banner, the buttons enabled.
    check(await page.locator("#ha-banner").isHidden(), "no high-availability banner");
    check(await page.locator("#actions-off").isHidden(), "no disabled-actions note");
    check(!(await page.locator("#wave button[data-action=pause]").isDisabled()), "pause enabled");
    checkEq(await page.locator("#stages .c.s-failed").count(), 1, "failed cells");
    const failingText = await waitText(page, "#failing", failing);
    checkContains(failingText, "already exists", "the failing shard's error text");
    await page.locator("#stages .c.s-failed").hover();
    const detail = await waitText(page, "#shard-detail", failing);
    checkContains(detail, `${failing} — failed — version 0 → 2`, "shard detail on hover");
    checkContains(detail, "error: ", "shard detail: error");
    const stage1 = await text(page, "#stages li:first-child .counts");
    checkContains(stage1, "3 done · 0 running · 1 failed · 0 pending", "stage 1 counts in words");
    await page.waitForFunction(() => document.querySelectorAll("#events tbody tr").length > 0);

    // Pause with the read token: 403 in words, nothing changes.
    await action(page, "pause", "Pause", true);
    const r403 = await waitText(page, "#action-result", "403");
    checkContains(r403, `This token may not pause wave ${wave} (403 forbidden: token 'viewer' (role read)`, "403 text");
    checkContains(r403, "Actions need a token with the operator role.", "403 hint");
    checkEq(await waveState(), "running", "state after the refused pause");

    // Forget the token, come back as the operator, pause.
    await page.locator("#logout").click();
    checkEq(await page.evaluate(() => sessionStorage.getItem("shardwave.token")), null, "token forgotten");
    await login(page, opToken);
    await page.waitForFunction((n) => document.querySelectorAll("#stages .c").length === n, nShards);
    await action(page, "pause", "Pause", true);
    const paused = await waitText(page, "#action-result", "the coordinator reports state");
    checkEq(paused, `Wave ${wave} paused: the coordinator reports state paused.`, "pause result");
    checkEq(await waveState(), "paused", "state through the API after pause");
    await waitText(page, "#wave-state", "paused");
    await waitText(page, "#events", "running -> paused by ops-oncall"); // the live event log

    // A second pause: the coordinator's 409 in words.
    await action(page, "pause", "Pause", true);
    const r409 = await waitText(page, "#action-result", "409");
    checkContains(r409, `The coordinator refused to pause wave ${wave}: `, "409 text");
    checkContains(r409, "(409 illegal_transition)", "409 code");
    await page.screenshot({ path: path.join(out, "wave-refused.png"), fullPage: true });

    // Abort, cancelled, and dismissed with Escape: nothing is sent. The dialog offers to
    // cancel running statements (abort only; unchecked each time).
    await page.locator("#wave button[data-action=abort]").click();
    check(await page.locator("#confirm-cancel-running-row").isVisible(), "abort: the cancel-running choice");
    await page.locator("#confirm-cancel-running").check();
    await page.locator("#confirm-cancel").click();
    await page.locator("#confirm").waitFor({ state: "hidden" });
    await action(page, "abort", "Abort", false);
    check(!(await page.locator("#confirm-cancel-running").isChecked()), "cancel-running starts unchecked");
    checkContains(await text(page, "#action-result"), "409", "result after a cancelled abort");
    checkEq(await waveState(), "paused", "state after a cancelled abort");
    await action(page, "abort", "Abort", "escape");
    await page.waitForTimeout(300); // nothing may happen: give a wrongly sent abort its chance
    checkContains(await text(page, "#action-result"), "409", "result after Escape");
    checkEq(await waveState(), "paused", "state after an abort dismissed with Escape");

    // Resume, retrying the failed shard.
    await page.locator("#wave button[data-action=pause]").click();
    check(await page.locator("#confirm-retry-row").isHidden(), "no retry choice for pause");
    check(await page.locator("#confirm-cancel-running-row").isHidden(), "no cancel-running choice for pause");
    await page.locator("#confirm-cancel").click();
    await page.locator("#wave button[data-action=resume]").click();
    await page.locator("#confirm-retry").check();
    await page.locator("#confirm-cancel").click();
    await page.locator("#confirm").waitFor({ state: "hidden" });
    await page.locator("#wave button[data-action=resume]").click();
    check(!(await page.locator("#confirm-retry").isChecked()), "the retry choice starts unchecked");
    await page.locator("#confirm-retry").check();
    await page.screenshot({ path: path.join(out, "confirm-resume.png") });
    await page.locator("#confirm-ok").click();
    await waitText(page, "#action-result", "resumed");
    checkEq(await waveState(), "running", "state through the API after resume");
    const evs = await api(base, readToken, "GET", `/v1/waves/${wave}/events`);
    check(evs.body.events.some((e) => (e.message || "").startsWith(`shard ${failing} re-queued by ops-oncall`)),
      "the failed shard re-queued by the resume (retry_failed)");
    await waitText(page, "#wave-state", "running");
    await page.screenshot({ path: path.join(out, "wave.png"), fullPage: true });

    const stats = await page.evaluate(() => window.swDashboard.stats);
    log(`grid script time: first render ${stats.firstRenderMs.toFixed(1)} ms, ` +
      `${stats.updates} updates (max ${stats.maxUpdateMs.toFixed(1)} ms), ${stats.notModified} polls answered 304`);
    check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
    log(`ok: screenshots in ${out}`);
  } finally {
    await browser.close();
  }
}

run(main);
