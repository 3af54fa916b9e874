// Screenshots for docs/img (run by tools/screenshots.sh, which sets up the fleet and the
// waves), with the same headless chromium as the browser tests:
//   node screenshots.js wave  URL TOKEN WAVE OUT.png   the dashboard's wave view
//   node screenshots.js fleet URL TOKEN OUT.png        the dashboard's fleet and waves view
//   node screenshots.js follower URL TOKEN WAVE OUT.png   a follower coordinator's wave view
//                                                      (the banner naming the leader)
//   node screenshots.js ansi  IN.txt TITLE OUT.png     a terminal capture (ANSI colours)
"use strict";

const fs = require("fs");
const { log, check, openBrowser, run } = require("./lib");

async function dashboard(url, token, hash, out, ready, hover) {
  const { browser, page, problems } = await openBrowser({ width: 1200, height: 900 });
  try {
    await page.goto(`${url}/${hash}`);
    await page.locator("#token").fill(token);
    await page.locator("#login-form button[type=submit]").click();
    await page.waitForFunction(ready, null, { timeout: 30000 });
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    if (hover && (await page.locator(hover).count()) > 0) await page.locator(hover).first().click();
    await page.screenshot({ path: out, fullPage: true });
    check(problems.length === 0, `no page errors: ${problems.join("; ")}`);
  } finally {
    await browser.close();
  }
}

/* ANSI SGR colours and bold to HTML; other escape sequences are dropped. */
function ansiToHtml(text) {
  const colours = { 31: "#ff6b6b", 32: "#69db7c", 33: "#ffd43b", 34: "#74c0fc", 35: "#e599f7", 36: "#66d9e8" };
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let html = "";
  let open = 0;
  const parts = text.split(/(\x1b\[[0-9;?]*[A-Za-z])/);
  for (const p of parts) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(p);
    if (m) {
      for (const code of (m[1] || "0").split(";").map(Number)) {
        if (code === 0 || code === 39 || code === 22) {
          html += "</span>".repeat(open);
          open = 0;
        } else if (code === 1) {
          html += '<span class="b">';
          open++;
        } else if (colours[code]) {
          html += `<span style="color:${colours[code]}">`;
          open++;
        }
      }
    } else if (!p.startsWith("\x1b")) {
      html += esc(p);
    }
  }
  return html + "</span>".repeat(open);
}

async function terminal(input, title, out) {
  const text = fs.readFileSync(input, "utf8").replace(/\r/g, "")
    .replace(/^Script (started|done) on .*\n?/gm, ""); // script(1)'s own lines
  const html = `<!doctype html><meta charset="utf-8"><style>
    body { margin: 0; background: #f5f6f8; padding: 16px; }
    .win { display: inline-block; background: #1e2329; border-radius: 8px; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
    .bar { color: #aab2bd; font: 13px system-ui, sans-serif; padding: 6px 12px; border-bottom: 1px solid #2f363e; }
    pre { margin: 0; padding: 12px 16px; color: #e6e6e6; font: 14px/1.35 "DejaVu Sans Mono", monospace; }
    .b { font-weight: bold; }
    </style><div class="win"><div class="bar"></div><pre></pre></div>`;
  const { browser, page } = await openBrowser({ width: 1100, height: 400 });
  try {
    await page.setContent(html);
    await page.evaluate(([t, body]) => {
      document.querySelector(".bar").textContent = t;
      document.querySelector("pre").innerHTML = body; // our own capture, converted above
    }, [title, ansiToHtml(text.replace(/\n+$/, ""))]);
    await page.locator(".win").screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

async function main() {
  const [mode, ...a] = process.argv.slice(2);
  if (mode === "wave") {
    const [url, token, wave, out] = a;
    await dashboard(url, token, `#/waves/${wave}`, out,
      () => document.querySelectorAll("#stages .c").length > 0 &&
        document.querySelectorAll("#events tbody tr").length > 0, "#stages .c.s-failed");
    log(`wrote ${out}`);
  } else if (mode === "fleet") {
    const [url, token, out] = a;
    await dashboard(url, token, "", out,
      () => document.querySelectorAll("#histogram li").length > 0 &&
        document.querySelectorAll("#waves tbody tr").length > 0);
    log(`wrote ${out}`);
  } else if (mode === "follower") {
    const [url, token, wave, out] = a;
    await dashboard(url, token, `#/waves/${wave}`, out,
      () => document.querySelectorAll("#stages .c").length > 0 &&
        /open its dashboard/.test(document.querySelector("#ha-banner").textContent));
    log(`wrote ${out}`);
  } else if (mode === "ansi") {
    const [input, title, out] = a;
    await terminal(input, title, out);
    log(`wrote ${out}`);
  } else {
    throw new Error("usage: screenshots.js wave|fleet|follower|ansi ...");
  }
}

run(main);
