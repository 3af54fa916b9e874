/*
 * shardwave dashboard: one page over the coordinator's JSON API (docs/api.md).
 * The operator's token lives in sessionStorage (this tab only) and goes out as a bearer
 * token to this origin only. Every value from the API reaches the page through
 * textContent, never as markup. The wave view polls GET /v1/waves/{id}/grid with
 * If-None-Match (304 while the wave is unchanged) and updates only the grid cells whose
 * state changed. With several coordinators on one store (docs/ha.md) the page reads this
 * coordinator's role from GET /healthz every poll: on a follower it names the leader,
 * links to its dashboard and disables the action buttons (a follower answers writes with
 * 307 to the leader's origin, where the browser would drop the token).
 */
"use strict";

(() => {
  const TOKEN_KEY = "shardwave.token";
  const POLL_MS = 1500;
  const FLEET_EVERY_TICKS = 5;
  const EVENTS_SHOWN = 500;
  const ROWS_SHOWN = 200;

  /* Shard states of the API grouped the way the progress bars show them. */
  const STATE_GROUP = {
    pending: "pending", rb_pending: "pending",
    leased: "running", running: "running", rb_leased: "running", rb_running: "running",
    done: "done", skipped: "done", rolled_back: "done",
    failed: "failed", rb_failed: "failed",
  };
  const GROUPS = ["done", "running", "failed", "pending"];
  const LEGEND = [
    ["pending", "pending: not started"],
    ["leased", "leased: handed to an agent"],
    ["running", "running: steps in flight"],
    ["done", "done: at the target"],
    ["skipped", "skipped: nothing to do"],
    ["failed", "failed: a step failed"],
    ["rb_pending", "rollback pending"],
    ["rb_running", "rolling back (leased or running)"],
    ["rolled_back", "rolled back"],
    ["rb_failed", "rollback failed"],
  ];
  const ACTIONS = {
    pause: {verb: "Pause", done: "paused",
      text: "Once the coordinator confirms, no new step starts on any shard; steps already running finish."},
    resume: {verb: "Resume", done: "resumed",
      text: "The wave continues from where it stopped."},
    abort: {verb: "Abort", done: "aborted",
      text: "The wave ends for good: no new step starts. Shards already migrated keep their " +
        "version. Steps already running finish, unless you cancel them below."},
    rollback: {verb: "Roll back", done: "rolling back",
      text: "Down migrations run on every shard this wave moved, newest first."},
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  const app = {
    token: sessionStorage.getItem(TOKEN_KEY),
    route: {view: "overview", wave: null},
    tick: 0,
    timer: null,
    running: false,
    again: false,
    wavesSig: null,
    fleetSig: null,
    grid: null,
    events: {wave: null, after: 0},
    action: null,
    selected: -1,
    ha: {role: "leader", ha: false, epoch: 0, leader: null},
    roleSig: null,
    stats: {firstRenderMs: null, firstRenderShards: 0, updates: 0, lastUpdateMs: null,
      maxUpdateMs: 0, notModified: 0},
  };
  window.swDashboard = {stats: app.stats};

  /* ---- the API ----------------------------------------------------------------------- */

  class ApiError extends Error {
    constructor(status, code, message, hint) {
      super(message);
      this.status = status;
      this.code = code;
      this.hint = hint || "";
    }
  }

  async function api(method, path, opts = {}) {
    const headers = {Authorization: "Bearer " + app.token, Accept: "application/json"};
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    if (opts.etag) headers["If-None-Match"] = opts.etag;
    let resp;
    try {
      resp = await fetch(path, {method, headers, body, cache: "no-store", credentials: "omit",
        redirect: "manual"});
    } catch (err) {
      throw new ApiError(0, "network", "cannot reach the coordinator (" + err.message + ")");
    }
    if (resp.type === "opaqueredirect") {
      /* a follower's 307 to the leader: never follow it (another origin: no token there) */
      throw new ApiError(307, "not_leader", "this coordinator is a follower");
    }
    if (resp.status === 304) return {notModified: true};
    let doc = null;
    try {
      doc = await resp.json();
    } catch (err) {
      doc = null;
    }
    if (!resp.ok) {
      const e = (doc && doc.error) || {};
      throw new ApiError(resp.status, e.code || "http_" + resp.status,
        e.message || resp.statusText || "request failed", e.hint);
    }
    return {doc, etag: resp.headers.get("ETag")};
  }

  /* An API failure in words, for what the page tried (`what`: "pause wave w-1"). */
  function describe(err, what, isAction) {
    const hint = err.hint ? " Hint: " + err.hint + "." : "";
    switch (err.status) {
      case 0:
        return "Cannot " + what + ": " + err.message + ". Retrying.";
      case 401:
        return "The coordinator did not accept the token (401 unauthorized: " + err.message +
          "). Enter a valid token.";
      case 403:
        return "This token may not " + what + " (403 forbidden: " + err.message + "). " +
          (isAction ? "Actions need a token with the operator role." :
            "The dashboard needs a token with the read or operator role.");
      case 409:
        return "The coordinator refused to " + what + ": " + err.message + " (409 " + err.code +
          ")." + hint;
      case 307:
        return "Cannot " + what + " here: this coordinator is a read-only follower (307 " +
          "not_leader). Nothing was changed. Use the leader's dashboard (see above).";
      case 503:
        return describeUnavailable(err, what, isAction);
      default:
        return "Could not " + what + ": " + err.message + " (" + err.status + " " + err.code +
          ")." + hint;
    }
  }

  /* 503: no leader known (an election in progress), or the store cannot be reached. */
  function describeUnavailable(err, what, isAction) {
    const next = isAction ? " Nothing was changed; try again in a few seconds." : " Retrying.";
    if (err.code === "not_leader") {
      return "Cannot " + what + " right now: no coordinator leads at the moment (an election " +
        "is in progress; 503 not_leader: " + err.message + ")." + next;
    }
    return "Cannot " + what + " right now: the coordinator is unavailable (503 " + err.code +
      ": " + err.message + ")." + next;
  }

  function showProblem(text) {
    const p = $("problem");
    p.textContent = text || "";
    p.hidden = !text;
  }

  /* ---- token ------------------------------------------------------------------------- */

  function showLogin(message) {
    $("login").hidden = false;
    $("logout").hidden = true;
    $("overview").hidden = true;
    $("wave").hidden = true;
    setConn("not connected");
    showProblem(message);
    $("token").focus();
  }

  function onLogin(ev) {
    ev.preventDefault();
    const t = $("token").value.trim();
    if (!t) return;
    app.token = t;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    $("login").hidden = true;
    $("logout").hidden = false;
    showProblem("");
    app.fleetSig = null;
    app.wavesSig = null;
    app.tick = 0;
    route();
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    app.token = null;
    stopPolling();
  }

  function onLogout() {
    forgetToken();
    showLogin("");
  }

  function setConn(text) {
    $("conn").textContent = text;
  }

  /* ---- routing and polling ----------------------------------------------------------- */

  function route() {
    const m = /^#\/waves\/([^/]+)$/.exec(location.hash);
    app.route = m ? {view: "wave", wave: decodeURIComponent(m[1])} : {view: "overview", wave: null};
    if (!app.token) {
      showLogin("");
      return;
    }
    $("login").hidden = true;
    $("logout").hidden = false;
    renderRole();
    $("overview").hidden = app.route.view !== "overview";
    $("wave").hidden = app.route.view !== "wave";
    if (app.route.view === "wave" && (!app.grid || app.grid.waveId !== app.route.wave)) {
      resetWave();
    }
    stopPolling();
    poll();
  }

  function stopPolling() {
    clearTimeout(app.timer);
    app.timer = null;
  }

  async function poll() {
    if (app.running) {
      app.again = true; /* the view or the wave changed meanwhile: poll again at once */
      return;
    }
    app.running = true;
    app.again = false;
    const view = app.route.view;
    try {
      if (!document.hidden && app.token) {
        await refreshRole();
        if (view === "overview") {
          await refreshWaves();
          if (app.tick % FLEET_EVERY_TICKS === 0 || app.fleetSig === null) await refreshFleet();
        } else {
          await refreshWave();
          await refreshEvents();
        }
        app.tick++;
        showProblem("");
        setConn("live · " + roleText() + "updated " + new Date().toLocaleTimeString());
      }
    } catch (err) {
      if (err.status === 401) {
        app.running = false;
        forgetToken();
        showLogin(describe(err, "read"));
        return;
      }
      showProblem(describe(err, view === "wave" ? "read wave " + app.route.wave :
        "read the fleet and the waves"));
      setConn("connection problem");
    }
    app.running = false;
    clearTimeout(app.timer);
    if (app.token) app.timer = setTimeout(poll, app.again ? 0 : POLL_MS);
  }

  /* ---- this coordinator's role (several coordinators on one store) ------------------- */

  /* GET /healthz (no token): role, epoch and the leader as this coordinator last saw it.
   * A failure changes nothing: the API calls report an unreachable coordinator. */
  async function refreshRole() {
    let doc = null;
    try {
      const resp = await fetch("/healthz", {cache: "no-store", credentials: "omit",
        redirect: "manual"});
      if (resp.ok) doc = await resp.json();
    } catch (err) {
      doc = null;
    }
    if (!doc || (doc.role !== "leader" && doc.role !== "follower")) return;
    const sig = JSON.stringify([doc.role, doc.ha, doc.epoch, doc.leader]);
    if (sig === app.roleSig) return;
    app.roleSig = sig;
    app.ha = {role: doc.role, ha: !!doc.ha, epoch: doc.epoch, leader: doc.leader || null};
    renderRole();
  }

  function roleText() {
    if (!app.ha.ha) return "";
    return app.ha.role === "leader" ? "leader (epoch " + app.ha.epoch + ") · " : "read-only follower · ";
  }

  /* The leader's dashboard at the same view, or null for a URL that is not http(s). */
  function leaderDashboard(url) {
    try {
      const u = new URL(url);
      return u.protocol === "http:" || u.protocol === "https:" ? u.origin + "/" + location.hash : null;
    } catch (err) {
      return null;
    }
  }

  /* Why the action buttons are off here ("" on the leader). */
  function actionsOffReason() {
    const h = app.ha;
    if (h.role !== "follower") return "";
    return h.leader ? "this coordinator is a read-only follower; pause, resume, abort and " +
      "roll back on the leader's dashboard, " + h.leader.url + "." :
      "this coordinator is a read-only follower and no leader is known right now (an " +
      "election is in progress).";
  }

  function renderBanner() {
    const b = $("ha-banner");
    const h = app.ha;
    b.replaceChildren();
    b.hidden = h.role !== "follower";
    if (b.hidden) return;
    if (!h.leader) {
      b.append("This coordinator is a read-only follower and no coordinator leads right now " +
        "(an election is in progress). The page follows as soon as one is elected.");
      return;
    }
    b.append("This coordinator is a read-only follower; the leader is " + h.leader.url +
      " (" + h.leader.id + ", epoch " + h.leader.epoch + ")");
    const href = leaderDashboard(h.leader.url);
    if (!href) return;
    const a = el("a", null, "open its dashboard");
    a.id = "leader-link";
    a.href = href;
    b.append(" — ", a, " (it asks for the token again: each coordinator's page keeps its own).");
  }

  function renderRole() {
    renderBanner();
    const reason = actionsOffReason();
    for (const btn of document.querySelectorAll("#wave .actions button")) {
      btn.disabled = reason !== "";
      btn.title = reason ? "Disabled: " + reason : "";
    }
    $("actions-off").textContent = reason ? "Actions are disabled: " + reason : "";
    $("actions-off").hidden = reason === "";
  }

  /* ---- overview: fleet and waves ----------------------------------------------------- */

  async function refreshFleet() {
    const {doc} = await api("GET", "/v1/fleet?shards=false");
    const sig = JSON.stringify([doc.histogram, doc.drift, doc.n_shards,
      doc.inventory && doc.inventory.pending.length]);
    if (sig === app.fleetSig) return;
    app.fleetSig = sig;
    renderFleet(doc);
  }

  function renderFleet(doc) {
    const drift = doc.drift || [];
    const pending = doc.inventory ? doc.inventory.pending.length : 0;
    $("fleet-summary").textContent = doc.n_shards + " shards · " + drift.length +
      " drifting" + (pending ? " · inventory scan pending on " + pending : "");
    const hist = $("histogram");
    hist.replaceChildren();
    const max = Math.max(1, ...doc.histogram.map((h) => h.count));
    for (const h of doc.histogram) {
      const li = el("li");
      li.append(el("span", "hv", "v" + h.version));
      const bar = el("span", "bar");
      const fill = el("span", "fill");
      fill.style.width = (100 * h.count / max).toFixed(1) + "%";
      bar.append(fill);
      li.append(bar, el("span", "hc", h.count + (h.count === 1 ? " shard" : " shards")));
      hist.append(li);
    }
    $("drift-count").textContent = "(" + drift.length + ")";
    $("drift-none").hidden = drift.length > 0;
    $("drift").hidden = drift.length === 0;
    const body = $("drift").tBodies[0];
    body.replaceChildren();
    for (const d of drift.slice(0, ROWS_SHOWN)) {
      const tr = el("tr");
      tr.append(el("td", "mono", d.id), el("td", null, d.version),
        el("td", null, d.health), el("td", null, d.reason));
      body.append(tr);
    }
    if (drift.length > ROWS_SHOWN) {
      const tr = el("tr");
      const td = el("td", "muted", "… and " + (drift.length - ROWS_SHOWN) + " more (shardwave fleet --drift)");
      td.colSpan = 4;
      tr.append(td);
      body.append(tr);
    }
  }

  async function refreshWaves() {
    const {doc} = await api("GET", "/v1/waves");
    const sig = JSON.stringify(doc.waves);
    if (sig === app.wavesSig) return;
    app.wavesSig = sig;
    renderWaves(doc.waves);
  }

  function groupCounts(counts) {
    const g = {done: 0, running: 0, failed: 0, pending: 0};
    for (const [state, n] of Object.entries(counts || {})) g[STATE_GROUP[state] || "pending"] += n;
    return g;
  }

  function countsText(g) {
    return GROUPS.map((k) => g[k] + " " + k).join(" · ");
  }

  /* A stacked bar (done / running / failed / pending); returns its segments. */
  function progressBar(label) {
    const bar = el("div", "progress");
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", label);
    const segs = {};
    for (const k of GROUPS) {
      segs[k] = el("span", "seg g-" + k);
      bar.append(segs[k]);
    }
    return {bar, segs};
  }

  function setProgress(p, g, label) {
    const total = GROUPS.reduce((a, k) => a + g[k], 0) || 1;
    for (const k of GROUPS) p.segs[k].style.width = (100 * g[k] / total) + "%";
    p.bar.setAttribute("aria-label", label + ": " + countsText(g));
  }

  function renderWaves(waves) {
    const body = $("waves").tBodies[0];
    body.replaceChildren();
    $("waves-none").hidden = waves.length > 0;
    $("waves").hidden = waves.length === 0;
    for (const w of waves.slice(0, ROWS_SHOWN)) {
      const tr = el("tr");
      const link = el("a", "mono", w.id);
      link.href = "#/waves/" + encodeURIComponent(w.id);
      const td0 = el("td");
      td0.append(link);
      const g = groupCounts(w.counts);
      const p = progressBar("wave " + w.id);
      setProgress(p, g, "wave " + w.id);
      const td3 = el("td", "progress-cell");
      td3.append(p.bar, el("span", "counts", countsText(g)));
      tr.append(td0, stateCell(w.state), el("td", null, w.target + " (" + w.direction + ")"), td3,
        el("td", null, w.reason || ""), el("td", "muted", fmtTime(w.created_at)));
      body.append(tr);
    }
  }

  function stateCell(state) {
    const td = el("td");
    td.append(el("span", "badge w-" + state, state));
    return td;
  }

  function fmtTime(t) {
    if (!t) return "";
    const d = new Date(t);
    return isNaN(d) ? t : d.toLocaleString();
  }

  function fmtClock(t) {
    const d = new Date(t);
    return t && !isNaN(d) ? d.toLocaleTimeString() : "";
  }

  /* ---- one wave ---------------------------------------------------------------------- */

  function resetWave() {
    app.grid = null;
    app.selected = -1;
    app.events = {wave: app.route.wave, after: 0};
    $("stages").replaceChildren();
    $("events").tBodies[0].replaceChildren();
    $("failing").replaceChildren();
    $("wave-id").textContent = app.route.wave;
    $("wave-state").textContent = "";
    $("wave-facts").replaceChildren();
    $("action-result").textContent = "";
    $("shard-detail").textContent =
      "Hover over or select a shard in the grid to see its id, version and error.";
  }

  async function refreshWave() {
    const id = app.route.wave;
    const g = app.grid && app.grid.waveId === id ? app.grid : null;
    const r = await api("GET", "/v1/waves/" + encodeURIComponent(id) + "/grid",
      {etag: g ? g.etag : null});
    if (r.notModified) {
      app.stats.notModified++;
      return;
    }
    if (app.route.wave !== id) return;
    const t0 = performance.now();
    renderWave(r.doc, r.etag);
    const ms = performance.now() - t0;
    if (app.stats.firstRenderMs === null) {
      app.stats.firstRenderMs = ms;
      app.stats.firstRenderShards = r.doc.shards.length;
      performance.measure("sw-first-render", {start: t0, duration: ms});
    } else {
      app.stats.updates++;
      app.stats.lastUpdateMs = ms;
      app.stats.maxUpdateMs = Math.max(app.stats.maxUpdateMs, ms);
      performance.measure("sw-update", {start: t0, duration: ms});
    }
  }

  function renderWave(doc, etag) {
    $("wave-id").textContent = doc.id;
    const badge = $("wave-state");
    badge.textContent = doc.state;
    badge.className = "badge w-" + doc.state;
    renderFacts(doc);
    const same = app.grid && app.grid.waveId === doc.id && sameLayout(app.grid, doc);
    if (!same) buildGrid(doc);
    else updateGrid(doc);
    app.grid.etag = etag;
    updateStages(doc);
    renderFailing(doc);
    if (app.selected >= 0) showShard(app.selected);
  }

  function renderFacts(doc) {
    const stage = doc.stages[doc.current_stage];
    const facts = [
      ["Target", doc.target + " (" + doc.direction + ")"],
      ["On failure", doc.on_failure],
      ["Stage", stage ? (doc.current_stage + 1) + " of " + doc.stages.length + ": " + stage.name +
        " (" + doc.stage_phase + ")" : "-"],
      ["Progress", countsText(groupCounts(doc.counts))],
      ["Created", fmtTime(doc.created_at) + " by " + doc.created_by],
      ["Reason", doc.reason || "-"],
    ];
    if (doc.bake_until) facts.push(["Baking until", fmtTime(doc.bake_until)]);
    if (doc.halt_reason) facts.push(["Halted because", doc.halt_reason]);
    const dl = $("wave-facts");
    dl.replaceChildren();
    for (const [k, v] of facts) dl.append(el("dt", null, k), el("dd", null, v));
  }

  function sameLayout(g, doc) {
    if (g.ids.length !== doc.shards.length || g.stages.length !== doc.stages.length) return false;
    for (let i = 0; i < doc.shards.length; i++) {
      if (g.ids[i] !== doc.shards[i][0] || g.stageOf[i] !== doc.shards[i][1]) return false;
    }
    return true;
  }

  /* Builds the whole grid once per wave: one cell per shard, grouped by stage. */
  function buildGrid(doc) {
    const n = doc.shards.length;
    const g = {
      waveId: doc.id, etag: null, states: doc.states, ids: new Array(n), stageOf: new Int32Array(n),
      code: new Int32Array(n), from: new Array(n), to: new Array(n), cells: new Array(n),
      errors: new Map(), stages: [],
    };
    const list = $("stages");
    list.replaceChildren();
    for (const s of doc.stages) {
      const li = el("li", "stage");
      const h = el("h3", null, s.name);
      const p = progressBar("stage " + s.name);
      const counts = el("p", "counts");
      const cells = el("div", "cells");
      cells.tabIndex = 0;
      cells.setAttribute("role", "group");
      cells.setAttribute("aria-label", "shards of stage " + s.name +
        " (arrow keys move between shards)");
      cells.dataset.stage = String(s.index);
      li.append(h, p.bar, counts, cells);
      list.append(li);
      g.stages.push({li, h, p, counts, cells, first: -1});
    }
    const frags = g.stages.map(() => document.createDocumentFragment());
    for (let i = 0; i < n; i++) {
      const [id, stage, code, from, to] = doc.shards[i];
      g.ids[i] = id;
      g.stageOf[i] = stage;
      g.code[i] = code;
      g.from[i] = from;
      g.to[i] = to;
      const c = document.createElement("span");
      c.className = "c s-" + doc.states[code];
      c.dataset.i = String(i);
      g.cells[i] = c;
      if (frags[stage]) {
        frags[stage].append(c);
        if (g.stages[stage].first < 0) g.stages[stage].first = i;
      }
    }
    g.stages.forEach((s, k) => s.cells.append(frags[k]));
    app.grid = g;
    app.selected = -1;
    setErrors(g, doc.errors);
  }

  /* Changes only the cells whose state changed. */
  function updateGrid(doc) {
    const g = app.grid;
    for (let i = 0; i < doc.shards.length; i++) {
      const row = doc.shards[i];
      if (g.code[i] !== row[2]) {
        g.code[i] = row[2];
        g.cells[i].className = "c s-" + g.states[row[2]] + (i === app.selected ? " sel" : "");
      }
      g.from[i] = row[3];
      g.to[i] = row[4];
    }
    setErrors(g, doc.errors);
  }

  function setErrors(g, errors) {
    g.errors = new Map(errors);
  }

  function updateStages(doc) {
    const g = app.grid;
    doc.stages.forEach((s, k) => {
      const st = g.stages[k];
      const grp = groupCounts(s.counts);
      const current = k === doc.current_stage && !["completed", "aborted", "rolled_back"].includes(doc.state);
      st.h.textContent = "Stage " + (k + 1) + ": " + s.name + (current ? " — current, " + doc.stage_phase : "");
      st.li.classList.toggle("current", current);
      setProgress(st.p, grp, "stage " + s.name);
      const total = GROUPS.reduce((a, x) => a + grp[x], 0);
      st.counts.textContent = total + " shards: " + countsText(grp);
    });
  }

  function renderFailing(doc) {
    const list = $("failing");
    const errors = doc.errors;
    $("failing-count").textContent = "(" + errors.length + ")";
    $("failing-none").hidden = errors.length > 0;
    const sig = JSON.stringify(errors.slice(0, ROWS_SHOWN)) + errors.length;
    if (list.dataset.sig === sig) return;
    list.dataset.sig = sig;
    list.replaceChildren();
    const idx = new Map(app.grid.ids.map((id, i) => [id, i]));
    for (const [id, text] of errors.slice(0, ROWS_SHOWN)) {
      const i = idx.get(id);
      const state = i !== undefined ? app.grid.states[app.grid.code[i]] : "?";
      const li = el("li");
      li.append(el("span", "mono", id), el("span", "badge s-" + state, state), el("pre", null, text));
      list.append(li);
    }
    if (errors.length > ROWS_SHOWN) {
      list.append(el("li", "muted", "… and " + (errors.length - ROWS_SHOWN) + " more"));
    }
  }

  function shardText(i) {
    const g = app.grid;
    const state = g.states[g.code[i]];
    const err = g.errors.get(g.ids[i]);
    return g.ids[i] + " — " + state + " — version " + g.from[i] + " → " + g.to[i] +
      " (stage " + (g.stageOf[i] + 1) + ")" + (err ? " — error: " + err : "");
  }

  function showShard(i) {
    if (!app.grid || i < 0 || i >= app.grid.ids.length) return;
    $("shard-detail").textContent = shardText(i);
  }

  function selectShard(i) {
    const g = app.grid;
    if (!g || i < 0 || i >= g.ids.length) return;
    if (app.selected >= 0 && g.cells[app.selected]) g.cells[app.selected].classList.remove("sel");
    app.selected = i;
    g.cells[i].classList.add("sel");
    showShard(i);
  }

  function onCellHover(ev) {
    const c = ev.target;
    if (!c.dataset || c.dataset.i === undefined) return;
    const i = Number(c.dataset.i);
    c.title = shardText(i);
    showShard(i);
  }

  function onCellClick(ev) {
    const c = ev.target;
    if (c.dataset && c.dataset.i !== undefined) selectShard(Number(c.dataset.i));
  }

  function onCellKey(ev) {
    const box = ev.target;
    if (!app.grid || box.dataset.stage === undefined) return;
    const st = app.grid.stages[Number(box.dataset.stage)];
    const step = {ArrowRight: 1, ArrowDown: 10, ArrowLeft: -1, ArrowUp: -10}[ev.key];
    if (!step || st.first < 0) return;
    ev.preventDefault();
    const n = st.cells.childElementCount;
    const cur = app.selected >= 0 && app.grid.stageOf[app.selected] === Number(box.dataset.stage) ?
      app.selected - st.first : -step;
    selectShard(st.first + Math.min(n - 1, Math.max(0, cur + step)));
  }

  /* ---- events ------------------------------------------------------------------------ */

  async function refreshEvents() {
    const id = app.route.wave;
    const after = app.events.wave === id ? app.events.after : 0;
    const {doc} = await api("GET", "/v1/waves/" + encodeURIComponent(id) + "/events?after=" + after);
    if (app.route.wave !== id || doc.events.length === 0) return;
    const body = $("events").tBodies[0];
    const frag = document.createDocumentFragment();
    const evs = doc.events.slice(-EVENTS_SHOWN);
    for (let k = evs.length - 1; k >= 0; k--) {
      const e = evs[k];
      const what = e.message || (e.from || e.to ? (e.from || "") + " → " + (e.to || "") : "");
      const tr = el("tr", "ev-" + e.kind);
      const at = el("td", "muted nowrap", fmtClock(e.at));
      at.title = fmtTime(e.at);
      tr.append(el("td", "muted", e.id), at, el("td", "nowrap", e.actor),
        el("td", "nowrap", e.kind), el("td", "mono nowrap", e.shard || ""), el("td", null, what));
      frag.append(tr);
    }
    body.prepend(frag);
    while (body.rows.length > EVENTS_SHOWN) body.deleteRow(-1);
    app.events = {wave: id, after: doc.events[doc.events.length - 1].id};
  }

  /* ---- actions ----------------------------------------------------------------------- */

  function onActionClick(ev) {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    const a = ACTIONS[b.dataset.action];
    const id = app.route.wave;
    app.action = {name: b.dataset.action, wave: id};
    $("confirm-h").textContent = a.verb + " wave " + id + "?";
    $("confirm-text").textContent = a.text;
    $("confirm-reason").value = "";
    $("confirm-retry").checked = false;
    $("confirm-retry-row").hidden = b.dataset.action !== "resume";
    $("confirm-cancel-running").checked = false;
    $("confirm-cancel-running-row").hidden = b.dataset.action !== "abort";
    $("confirm-ok").textContent = a.verb + " wave " + id;
    $("confirm-ok").className = b.classList.contains("danger") ? "danger" : "";
    $("confirm").returnValue = ""; /* Escape keeps the last value: never resend an action */
    $("confirm").showModal();
  }

  async function onConfirmClose() {
    const dlg = $("confirm");
    const act = app.action;
    app.action = null;
    if (dlg.returnValue !== "ok" || !act) return;
    const a = ACTIONS[act.name];
    const reason = $("confirm-reason").value.trim();
    const body = reason ? {reason} : {};
    if (act.name === "resume" && $("confirm-retry").checked) body.retry_failed = true;
    const cancel = act.name === "abort" && $("confirm-cancel-running").checked;
    if (cancel) body.cancel_running = true;
    const out = $("action-result");
    out.className = "";
    out.textContent = a.verb + " wave " + act.wave + ": sending…";
    try {
      const {doc} = await api("POST", "/v1/waves/" + encodeURIComponent(act.wave) + "/" + act.name,
        {body});
      out.textContent = "Wave " + act.wave + " " + a.done + ": the coordinator reports state " +
        doc.state + "." + (cancel ? " The agents cancel the statements running now." : "");
      out.className = "ok";
    } catch (err) {
      out.textContent = describe(err, a.verb.toLowerCase() + " wave " + act.wave, true);
      out.className = "refused";
      if (err.status === 401) {
        forgetToken();
        showLogin(out.textContent);
      }
      if (err.status === 307 || err.status === 503) {
        app.roleSig = null; /* this page's idea of the role was stale: show it afresh */
        await refreshRole();
      }
    }
    if (app.route.view === "wave") {
      stopPolling();
      poll();
    }
  }

  /* ---- start ------------------------------------------------------------------------- */

  function legend() {
    const ul = $("legend");
    for (const [state, text] of LEGEND) {
      const li = el("li");
      li.append(el("span", "c s-" + state), el("span", null, text));
      ul.append(li);
    }
  }

  function start() {
    legend();
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("stages").addEventListener("mouseover", onCellHover);
    $("stages").addEventListener("click", onCellClick);
    $("stages").addEventListener("keydown", onCellKey);
    document.querySelector("#wave .actions").addEventListener("click", onActionClick);
    $("confirm").addEventListener("close", onConfirmClose);
    window.addEventListener("hashchange", route);
    refreshRole(); /* the banner shows on a follower even before a token is entered */
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && app.token) {
        stopPolling();
        poll();
      }
    });
    route();
  }

  start();
})();
