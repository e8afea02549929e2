/** The console's stylesheet and its one small script (no build step: the graph itself is SVG drawn on the server). */

export const CONSOLE_STYLE = `
body{font:14px system-ui,sans-serif;margin:0;color:#16191f}
header{background:#232f3e;padding:.6rem 2rem}header a{color:#fff;text-decoration:none;font-weight:600}
main{margin:1rem 2rem}
table{border-collapse:collapse}td,th{border:1px solid #d5dbdb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f3f3}
pre{margin:0;max-width:60rem;max-height:24rem;overflow:auto;background:#f8f8f8;padding:.4rem}
.summary .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;border:1px solid}
.status-SUCCEEDED{color:#1e8e3e}.status-FAILED,.status-TIMED_OUT{color:#d13212}.status-CAUGHT{color:#b35c00}
.status-RUNNING{color:#0972d3}.status-ABORTED{color:#6b4c96}.status-NOT_REACHED{color:#687078}
.error{color:#d13212}
.legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:.5rem 0}
.legend li{display:flex;align-items:center;gap:.35rem;color:#414d5c}
.swatch{display:inline-block;width:14px;height:14px;border:1.5px solid;border-radius:3px}
.swatch.status-SUCCEEDED{background:#e9f7ec;border-color:#1e8e3e}.swatch.status-FAILED{background:#fdecea;border-color:#d13212}
.swatch.status-CAUGHT{background:#fff3e0;border-color:#e07700}.swatch.status-RUNNING{background:#e8f1fb;border-color:#0972d3}
.swatch.status-ABORTED{background:#f1ecf8;border-color:#7d5ba6}.swatch.status-NOT_REACHED{background:#fff;border:1.5px dashed #aab7b8}
.legend .line{display:inline-block;width:26px;border-top:2px solid #687078}.legend .line.catch{border-top:2px dashed #d13212}
.layout{display:flex;gap:1rem;align-items:flex-start}
.graph{overflow:auto;border:1px solid #d5dbdb;border-radius:6px;background:#fff;max-width:100%}
#details{flex:1;min-width:22rem;max-width:44rem;border:1px solid #d5dbdb;border-radius:6px;padding:.5rem 1rem;position:sticky;top:.5rem;max-height:95vh;overflow:auto}
#details h2{margin:.3rem 0}#details h3{margin:.8rem 0 .3rem;font-size:1rem}
#details .run{border-top:1px solid #eaeded;padding:.4rem 0}
#details dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.3rem 0}#details dt{color:#545b64}#details dd{margin:0;overflow-wrap:anywhere}
.hint,.none{color:#687078}
tr.failed-account{cursor:pointer}tr.failed-account:hover,tr.failed-account.selected{background:#fdecea}
td.reason{max-width:40rem}
`;

/**
 * Reads the page's JSON (`#console-data`): a click (or Enter) on a state of the graph shows
 * its runs (input, output, error, cause) and, for a Map, its map run; a click on a failed
 * account shows its reason and selects the state that recorded it. Text only through
 * textContent, never as HTML.
 */
export const CONSOLE_SCRIPT = `
(() => {
const data = JSON.parse(document.getElementById("console-data").textContent);
const panel = document.getElementById("details");
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
const json = (label, value, open, raw) => { const d = el("details"); if (open) d.open = true; d.append(el("summary", label), el("pre", raw ? value : JSON.stringify(value, null, 2))); return d; };
const list = (pairs) => { const dl = el("dl"); for (const [k, v, cls] of pairs) if (v !== undefined && v !== null && v !== "") dl.append(el("dt", k), el("dd", v, cls)); return dl; };
const select = (name) => {
  document.querySelectorAll(".flow .state.selected").forEach((n) => n.classList.remove("selected"));
  const node = name && document.querySelector('.flow .state[data-state="' + CSS.escape(name) + '"]');
  if (node) node.classList.add("selected");
};
const counts = (c) => c.total + " (" + c.succeeded + " succeeded, " + c.failed + " failed" + (c.running ? ", " + c.running + " running" : "") + (c.aborted ? ", " + c.aborted + " aborted" : "") + ")";
function showState(name) {
  const s = data.states[name];
  if (!s) return;
  select(name);
  document.querySelectorAll("tr.failed-account.selected").forEach((n) => n.classList.remove("selected"));
  panel.replaceChildren(el("h2", name), list([["Type", s.type], ["Status", s.statusWord, "status-" + s.status], ["Runs", s.runCount], ["In", s.parent]]));
  if (s.comment) panel.append(el("p", s.comment, "hint"));
  if (s.error || s.cause) panel.append(el("h3", "Fails the run with"), list([["Error", s.error], ["Cause", s.cause]]));
  if (s.mapRun) {
    const m = s.mapRun;
    panel.append(el("h3", "Map run"), list([["Items", counts(m.items)], ["Child executions", counts(m.children)], ["Local helper runs folded", m.helperRuns]]));
    if (m.failures.length) {
      const ul = el("ul", undefined, "map-failures");
      for (const f of m.failures) ul.append(el("li", "child " + f.index + " (" + f.items + " items): " + (f.error || "") + (f.cause ? ": " + f.cause : "")));
      panel.append(el("h3", "Failed child executions"), ul);
    }
  }
  if (!s.runs || s.runs.length === 0) { panel.append(el("p", "This state was not reached in this execution.", "hint")); return; }
  if (s.runCount > s.runs.length) panel.append(el("p", "Showing " + s.runs.length + " of " + s.runCount + " runs: every one that did not succeed, then those retried, then the last that did.", "hint"));
  s.runs.forEach((r, i) => {
    const box = el("div", undefined, "run");
    const title = s.runs.length > 1 ? "Run " + (i + 1) + (r.iteration !== undefined ? " (child " + r.iteration + ")" : "") : "Run";
    box.append(el("h3", title), list([["Status", r.status, "status-" + r.status], ["Entered", r.enteredAt], ["Exited", r.exitedAt], ["Duration", r.durationMs !== undefined ? r.durationMs + " ms" : ""], ["Attempts", r.attempts > 1 ? r.attempts : ""]]));
    if (r.error !== undefined || r.cause !== undefined) {
      // A Lambda function's cause is the runtime's JSON: its message first, the stack trace folded.
      let cause = r.cause, trace;
      try { const c = JSON.parse(r.cause); if (c && typeof c.errorMessage === "string") { cause = c.errorMessage; trace = c.trace; } } catch {}
      const errorList = list([["Error", r.error], ["Cause", cause]]);
      errorList.classList.add("error");
      box.append(el("h3", "Error"), errorList);
      if (Array.isArray(trace) && trace.length) box.append(json("Stack trace", trace.join("\\n"), false, true));
    }
    box.append(json("Input", r.input, s.runs.length === 1), json("Output", r.output === undefined ? null : r.output, false));
    panel.append(box);
  });
}
function showAccount(i) {
  const a = data.failedAccounts[i];
  if (!a) return;
  select(a.state);
  document.querySelectorAll("tr.failed-account").forEach((n) => n.classList.toggle("selected", n.dataset.index === String(i)));
  panel.replaceChildren(el("h2", "Account " + a.accountId), list([["Stage", a.stage], ["Recorded by", a.state], ["At", a.at]]), el("h3", "Reason"), el("p", a.reason, "error reason"));
}
const on = (nodes, handler) => nodes.forEach((n) => {
  n.addEventListener("click", (ev) => { ev.stopPropagation(); handler(n); });
  n.addEventListener("keydown", (ev) => { if (ev.key === "Enter") handler(n); });
});
on(document.querySelectorAll(".flow .state[data-state]"), (n) => showState(n.dataset.state));
on(document.querySelectorAll("tr.failed-account"), (n) => showAccount(Number(n.dataset.index)));
const first = Object.values(data.states).find((s) => s.status === "FAILED") || Object.values(data.states).find((s) => s.status === "CAUGHT");
if (first) showState(first.name);
})();
`;
