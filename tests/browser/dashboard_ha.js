// The dashboard on two coordinators sharing one PostgreSQL store
// (tests/integration/dashboard_ha.sh: c-1 leads, c-2 follows; the wave's first stage is
// baking, so the wave stays running).
// On the follower: the banner names the leader and links to its dashboard (even before a
// token is entered), every action button is disabled with the reason in its title and
// written below the buttons; a stale page whose button is still enabled gets the
// follower's 307 in words and nothing changes. On the leader: no banner, a 503 not_leader
// (an election, intercepted) in words, the page following a role change (/healthz
// intercepted: nobody leads, then c-1 again), the pause checked through the API. Then c-1 is
// killed: the follower's open page follows the takeover (no banner, buttons enabled,
// epoch 2) and aborts the wave with "also cancel statements running now" (the request's
// cancel_running and the wave's state checked). No page or CSP errors.
"use strict";

const path = require("path");
const { env, log, check, checkEq, checkContains, openBrowser, login, text, waitText, api, outDir, run } =
  require("./lib");

const leaderUrl = env("SW_LEADER_URL");
const followerUrl = env("SW_FOLLOWER_URL");
const leaderPid = Number(env("SW_LEADER_PID"));
const readToken = env("SW_READ_TOKEN");
const opToken = env("SW_OP_TOKEN");
const wave = env("SW_WAVE");
const ACTIONS = ["pause", "resume", "abort", "rollback"];

async function waveState(base) {
  const r = await api(base, readToken, "GET", `/v1/waves/${wave}`);
  checkEq(r.status, 200, `GET wave from ${base}`);
  return r.body.state;
}

/* Opens the action's dialog, optionally ticks the cancel-running choice, confirms. */
async function confirmAction(page, name, verb, cancelRunning) {
  await page.locator(`#wave button[data-action=${name}]`).click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  checkEq(await text(page, "#confirm-h"), `${verb} wave ${wave}?`, `${name} dialog title`);
  const row = page.locator("#confirm-cancel-running-row");
  checkEq(await row.isVisible(), name === "abort", `${name} dialog: the cancel-running choice shown`);
  if (cancelRunning) {
    check(!(await page.locator("#confirm-cancel-running").isChecked()), "cancel-running starts unchecked");
    await page.locator("#confirm-cancel-running").check();
    await page.locator("#confirm-reason").fill("stuck statements");
  }
  await page.locator("#confirm-ok").click();
  await page.locator("#confirm").waitFor({ state: "hidden" });
}

async function buttonsState(page) {
  return page.evaluate((names) => names.map((n) => {
    const b = document.querySelector(`#wave button[data-action=${n}]`);
    return { disabled: b.disabled, title: b.title };
  }), ACTIONS);
}

async function openWave(page) {
  await page.getByRole("link", { name: wave }).click();
  await page.waitForFunction(() => document.querySelectorAll("#stages .c").length > 0);
}

/* The follower's page: banner, disabled buttons, a stale button's 307 in words. */
async function followerChecks(page, out) {
  await page.goto(followerUrl + "/");
  const banner0 = await waitText(page, "#ha-banner", "read-only follower");
  checkContains(banner0, `the leader is ${leaderUrl} (c-1, epoch 1)`, "banner before the token");
  await login(page, opToken);
  await openWave(page);
  const banner = await waitText(page, "#ha-banner", "open its dashboard");
  checkEq(banner, `This coordinator is a read-only follower; the leader is ${leaderUrl} (c-1, epoch 1) — ` +
    "open its dashboard (it asks for the token again: each coordinator's page keeps its own).", "banner");
  checkEq(await page.locator("#leader-link").getAttribute("href"), `${leaderUrl}/#/waves/${wave}`,
    "the link to the leader's dashboard, same view");
  const reason = `this coordinator is a read-only follower; pause, resume, abort and roll back on the ` +
    `leader's dashboard, ${leaderUrl}.`;
  for (const [i, b] of (await buttonsState(page)).entries()) {
    check(b.disabled, `${ACTIONS[i]} disabled on the follower`);
    checkEq(b.title, `Disabled: ${reason}`, `${ACTIONS[i]} title`);
  }
  checkEq(await text(page, "#actions-off"), `Actions are disabled: ${reason}`, "the reason below the buttons");
  checkContains(await text(page, "#conn"), "read-only follower", "connection line");
  await page.screenshot({ path: path.join(out, "follower.png"), fullPage: true });

  // A stale page (the button still enabled when this coordinator lost the lead): the
  // follower's 307 is not followed (the token would be lost on the leader's origin).
  await page.evaluate(() => { document.querySelector("#wave button[data-action=pause]").disabled = false; });
  await confirmAction(page, "pause", "Pause", false);
  const r307 = await waitText(page, "#action-result", "307");
  checkEq(r307, `Cannot pause wave ${wave} here: this coordinator is a read-only follower (307 not_leader). ` +
    "Nothing was changed. Use the leader's dashboard (see above).", "a follower's 307 in words");
  await page.waitForFunction(() => document.querySelector("#wave button[data-action=pause]").disabled);
  checkEq(await waveState(leaderUrl), "running", "state after the follower's 307");
}

/* The leader's page, reached through the banner's link: a 503 in words, the pause. */
async function leaderChecks(page, href, out) {
  await page.goto(href);
  await login(page, opToken);
  await page.waitForFunction(() => document.querySelectorAll("#stages .c").length > 0);
  await waitText(page, "#conn", "leader (epoch 1)");
  check(await page.locator("#ha-banner").isHidden(), "no banner on the leader");
  check(await page.locator("#actions-off").isHidden(), "no disabled-actions note on the leader");
  check((await buttonsState(page)).every((b) => !b.disabled && b.title === ""), "buttons enabled on the leader");

  const route = `**/v1/waves/${wave}/pause`;
  await page.route(route, (r) => r.fulfill({
    status: 503, contentType: "application/json", headers: { "Retry-After": "1" },
    body: JSON.stringify({ error: { code: "not_leader", message: "no leader is known", leader: null } }),
  }));
  await confirmAction(page, "pause", "Pause", false);
  const r503 = await waitText(page, "#action-result", "503");
  checkEq(r503, `Cannot pause wave ${wave} right now: no coordinator leads at the moment (an election is ` +
    "in progress; 503 not_leader: no leader is known). Nothing was changed; try again in a few seconds.",
  "a 503 not_leader in words");
  await page.unroute(route);

  // This coordinator loses the lead and nobody leads yet (an election; /healthz
  // intercepted): the page follows at its next poll, and again when it leads.
  await page.route("**/healthz", (r) => r.fulfill({
    status: 200, contentType: "application/json",
    body: JSON.stringify({ status: "ok", version: "0.1.0", protocol: "1.0", role: "follower", ha: true,
      epoch: 0, leader: null }),
  }));
  checkEq(await waitText(page, "#ha-banner", "election"), "This coordinator is a read-only follower and no " +
    "coordinator leads right now (an election is in progress). The page follows as soon as one is elected.",
  "banner while nobody leads");
  check((await buttonsState(page)).every((b) => b.disabled), "buttons disabled while nobody leads");
  checkContains(await text(page, "#actions-off"), "no leader is known right now (an election is in progress)",
    "the reason while nobody leads");
  await page.unroute("**/healthz");
  await page.waitForFunction(() => document.querySelector("#ha-banner").hidden &&
    !document.querySelector("#wave button[data-action=pause]").disabled);

  await confirmAction(page, "pause", "Pause", false);
  checkEq(await waitText(page, "#action-result", "reports state"),
    `Wave ${wave} paused: the coordinator reports state paused.`, "pause on the leader");
  checkEq(await waveState(leaderUrl), "paused", "state through the leader's API");
  checkEq(await waveState(followerUrl), "paused", "state through the follower's API");
  await page.screenshot({ path: path.join(out, "leader.png"), fullPage: true });
}

async function main() {
  const out = outDir("dashboard_ha");
  const { browser, context, page, problems, watch } = await openBrowser(undefined, { allowStatus: [503] });
  try {
    await followerChecks(page, out);
    const lpage = await context.newPage();
    watch(lpage);
    await leaderChecks(lpage, await page.locator("#leader-link").getAttribute("href"), out);
    await lpage.close(); // its coordinator is killed next

    // The leader dies: the follower's open page follows the takeover.
    const t0 = Date.now();
    process.kill(leaderPid, "SIGKILL");
    await page.waitForFunction(() => document.querySelector("#ha-banner").hidden &&
      !document.querySelector("#wave button[data-action=abort]").disabled, null, { timeout: 30000 });
    log(`the follower's page shows it leads ${Date.now() - t0} ms after kill -9 of the leader`);
    await waitText(page, "#conn", "leader (epoch 2)");
    check(await page.locator("#actions-off").isHidden(), "no disabled-actions note after the takeover");

    // Abort on the new leader, cancelling the statements running now.
    const sent = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/waves/${wave}/abort`));
    await confirmAction(page, "abort", "Abort", true);
    const body = JSON.parse((await sent).postData());
    checkEq(JSON.stringify(body), JSON.stringify({ reason: "stuck statements", cancel_running: true }),
      "the abort request's body");
    checkEq(await waitText(page, "#action-result", "reports state"), `Wave ${wave} aborted: the coordinator ` +
      "reports state aborted. The agents cancel the statements running now.", "abort result");
    checkEq(await waveState(followerUrl), "aborted", "state through the new leader's API");
    const evs = await api(followerUrl, readToken, "GET", `/v1/waves/${wave}/events`);
    check(evs.body.events.some((e) => e.kind === "transition" && e.to === "aborted" && e.actor === "ops-oncall"),
      `the abort in the event log: ${JSON.stringify(evs.body.events.slice(-3))}`);
    check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
    log(`ok: screenshots in ${out}`);
  } finally {
    await browser.close();
  }
}

run(main);
