// assetflow web UI: a little vanilla JavaScript on top of server-rendered pages.
// Everything from data is written with textContent, never as HTML.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error: "bad answer from the server (" + res.status + ")" }; }
  return { ok: res.ok, status: res.status, data };
}

async function get(url) {
  const res = await fetch(url, { credentials: "same-origin" });
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error: "bad answer from the server (" + res.status + ")" }; }
  return { ok: res.ok, status: res.status, data };
}

function say(el, text, bad) {
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("bad", !!bad);
}

function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- Assets page: selection, search by selection syntax, launch, live states.
function assetsPage() {
  const selected = new Set();
  const msg = document.getElementById("msg");
  const count = document.getElementById("sel-count");
  const buttons = [document.getElementById("mat-selected"), document.getElementById("mat-upstream")].filter(Boolean);
  const nodes = new Map();
  document.querySelectorAll("#graph .node").forEach((g) => nodes.set(g.dataset.name, g));
  const refresh = () => {
    nodes.forEach((g, name) => g.classList.toggle("selected", selected.has(name)));
    count.textContent = selected.size ? selected.size + " selected" : "nothing selected";
    buttons.forEach((b) => (b.disabled = selected.size === 0));
  };
  document.getElementById("graph").addEventListener("click", async (ev) => {
    if (ev.target.closest("a")) return; // links open pages
    const g = ev.target.closest(".node");
    if (!g) return;
    const name = g.dataset.name;
    if (name.startsWith("group:")) {
      const r = await get("/api/select?q=" + encodeURIComponent(name));
      if (!r.ok) return say(msg, r.data.error, true);
      const all = r.data.assets.every((a) => selected.has(a)) && selected.has(name);
      for (const a of r.data.assets) all ? selected.delete(a) : selected.add(a);
      all ? selected.delete(name) : selected.add(name);
    } else if (selected.has(name)) selected.delete(name);
    else selected.add(name);
    refresh();
  });
  document.getElementById("search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = document.getElementById("search-q").value.trim();
    if (!q) return;
    const r = await get("/api/select?q=" + encodeURIComponent(q));
    if (!r.ok) return say(msg, r.data.error, true);
    selected.clear();
    r.data.assets.forEach((a) => selected.add(a));
    say(msg, q + ": " + r.data.assets.length + " asset(s)", false);
    refresh();
  });
  document.getElementById("clear-sel").addEventListener("click", () => { selected.clear(); say(msg, ""); refresh(); });
  const launch = async (upstreams) => {
    const names = [...selected].filter((n) => !n.startsWith("group:"));
    const sel = names.map((n) => (upstreams ? "*" + n : n)).join(",");
    buttons.forEach((b) => (b.disabled = true));
    say(msg, "launching…");
    const r = await post("/api/launch", { kind: "assets", selection: sel });
    if (!r.ok) { buttons.forEach((b) => (b.disabled = false)); return say(msg, r.data.error, true); }
    location.href = r.data.url;
  };
  if (buttons.length) {
    buttons[0].addEventListener("click", () => launch(false));
    buttons[1].addEventListener("click", () => launch(true));
  }
  const poll = async () => {
    if (document.visibilityState === "visible") {
      const r = await get("/api/states");
      if (r.ok) {
        for (const [name, st] of Object.entries(r.data)) {
          const g = nodes.get(name);
          if (!g) continue;
          for (const c of [...g.classList]) if (c.startsWith("state-")) g.classList.remove(c);
          g.classList.add("state-" + st.state);
          const d = g.querySelector(".detail");
          if (d && d.textContent !== st.detail) d.textContent = st.detail;
        }
      }
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
  refresh();
  window.assetflowReadyAt = performance.now();
  // After the next frame: style, layout and paint of the graph are done.
  requestAnimationFrame(() => setTimeout(() => { window.assetflowPaintedAt = performance.now(); }, 0));
  document.body.dataset.ready = "1";
}

// ---- Run page: live events over server-sent events, Gantt, event log.
const levelOf = (t) =>
  t === "STEP_FAILURE" || t === "RUN_FAILURE" ? "error"
  : t === "STEP_RETRY" || t === "STEP_SKIPPED" || t === "STEP_CANCELED" || t === "RUN_CANCELED" ? "warn" : "info";

function runPage() {
  const gantt = document.getElementById("gantt");
  const runID = gantt.dataset.run;
  const tbody = document.querySelector("#events tbody");
  const fLevel = document.getElementById("f-level");
  const fStep = document.getElementById("f-step");
  const lagEl = document.getElementById("lag");
  const steps = new Map(); // node -> {bars: [{start, end, kind}], status}
  const order = [];
  let t0 = null, tEnd = null, drawPending = false;
  const lag = { last: 0, max: 0, count: 0 };
  window.assetflowLag = lag;
  const step = (n) => {
    if (!steps.has(n)) { steps.set(n, { bars: [], status: "STARTED" }); order.push(n); }
    return steps.get(n);
  };
  // The event log keeps every event in memory and shows the newest maxRows
  // that match the filters; rows are made only when shown, and added once a
  // frame, so a run of 10,000 steps stays live.
  const maxRows = 1000;
  const all = [];
  const matches = (e) => (!fLevel.value || levelOf(e.Type) === fLevel.value) && (!fStep.value || (e.Node || "") === fStep.value);
  const note = document.createElement("caption");
  document.getElementById("events").prepend(note);
  const showNote = () => {
    note.textContent = all.length > maxRows ? "the newest matching events of " + all.length + " (at most " + maxRows + ")" : "";
  };
  const row = (e) => {
    const tr = el("tr", "level-" + levelOf(e.Type));
    tr.appendChild(el("td", "", new Date(Date.parse(e.Time)).toLocaleTimeString()));
    tr.appendChild(el("td", "", levelOf(e.Type)));
    tr.appendChild(el("td", "", e.Type));
    tr.appendChild(el("td", "", e.Node || ""));
    let m = e.Message || "";
    if (e.Error) m = (m ? m + ": " : "") + e.Error;
    if (e.Materialization) m = (m ? m + " " : "") + e.Materialization.Location + ": " + e.Materialization.Rows + " rows";
    tr.appendChild(el("td", "", m));
    return tr;
  };
  let pending = [], flushQueued = false;
  const flushRows = () => {
    flushQueued = false;
    const add = pending.slice(-maxRows).map(row);
    pending = [];
    tbody.append(...add);
    while (tbody.children.length > maxRows) tbody.firstChild.remove();
    showNote();
  };
  const refilter = () => {
    const shown = [];
    for (let i = all.length - 1; i >= 0 && shown.length < maxRows; i--) if (matches(all[i])) shown.push(all[i]);
    pending = [];
    tbody.replaceChildren(...shown.reverse().map(row));
    showNote();
  };
  fLevel.addEventListener("change", refilter);
  fStep.addEventListener("change", refilter);
  fStep.addEventListener("input", refilter);
  const stepRows = new Map();
  document.querySelectorAll("#steps tr[data-step]").forEach((tr) => stepRows.set(tr.dataset.step, tr));
  const stepsBody = document.querySelector("#steps tbody");
  const setStepRow = (node, status, attempts, dur, err) => {
    let tr = stepRows.get(node);
    if (!tr) {
      if (status !== "FAILURE" && status !== "CANCELED" && status !== "SKIPPED") return; // a big run lists only these
      tr = el("tr"); tr.dataset.step = node;
      tr.appendChild(el("td", "", node));
      const td = el("td"); td.appendChild(el("span", "badge")); tr.appendChild(td);
      for (let i = 0; i < 4; i++) tr.appendChild(el("td", i === 2 ? "error-text" : "")); // attempts, duration, error, worker
      stepsBody.appendChild(tr); stepRows.set(node, tr);
    }
    const b = tr.children[1].querySelector(".badge");
    b.textContent = status; b.className = "badge status-" + status;
    if (attempts) tr.children[2].textContent = attempts;
    if (dur) tr.children[3].textContent = dur;
    if (err !== undefined) tr.children[4].textContent = err;
  };
  const fmtDur = (ns) => (ns >= 1e9 ? (ns / 1e9).toFixed(2) + "s" : Math.round(ns / 1e6) + "ms");
  const addFailure = (e) => {
    const box = document.getElementById("failures");
    if (box.querySelector('[data-node="' + CSS.escape(e.Node) + '"]')) return;
    const sec = el("section", "failure"); sec.dataset.node = e.Node;
    sec.appendChild(el("h3", "", e.Node + " failed"));
    sec.appendChild(el("pre", "error-text", e.Error));
    if (e.Stack) { const d = el("details"); d.appendChild(el("summary", "", "stack")); d.appendChild(el("pre", "", e.Stack)); sec.appendChild(d); }
    box.appendChild(sec);
  };
  const backoff = (msg) => {
    const m = /retrying in ([0-9.]+)(ms|µs|us|s|m)\b/.exec(msg || "");
    if (!m) return 0;
    return parseFloat(m[1]) * ({ ms: 1, "µs": 0.001, us: 0.001, s: 1000, m: 60000 })[m[2]];
  };
  const onEvent = (e) => {
    const t = Date.parse(e.Time);
    if (running) { // only a run in progress has a lag to speak of
      const l = Date.now() - t;
      lag.last = l; lag.max = Math.max(lag.max, l); lag.count++;
    }
    if (t0 === null) t0 = t;
    tEnd = Math.max(tEnd || t, t);
    if (e.Node) {
      const s = step(e.Node);
      const open = s.bars.length && s.bars[s.bars.length - 1].end === null ? s.bars[s.bars.length - 1] : null;
      switch (e.Type) {
        case "STEP_START": s.bars.push({ start: t, end: null, kind: "STARTED", attempt: 1 }); s.status = "STARTED"; setStepRow(e.Node, "STARTED", 1); break;
        case "STEP_RETRY":
          if (open) { open.end = t; open.kind = "RETRY"; }
          // The next attempt starts after the backoff the message names.
          s.bars.push({ start: t + backoff(e.Message), end: null, kind: "STARTED", attempt: e.Attempt + 1 });
          setStepRow(e.Node, "STARTED", e.Attempt + 1, "", e.Error); break;
        case "STEP_SUCCESS": case "STEP_FAILURE": case "STEP_CANCELED": case "STEP_SKIPPED": {
          const st = e.Type.slice(5);
          if (open) { open.end = t; open.kind = st; } else s.bars.push({ start: t, end: t, kind: st, attempt: e.Attempt });
          s.status = st;
          setStepRow(e.Node, st, e.Attempt, e.Duration ? fmtDur(e.Duration) : "", e.Error || "");
          if (st === "FAILURE") addFailure(e);
          break;
        }
      }
    }
    all.push(e);
    if (matches(e)) {
      pending.push(e);
      if (!flushQueued) { flushQueued = true; requestAnimationFrame(flushRows); }
    }
    scheduleDraw();
  };
  const scheduleDraw = () => {
    if (drawPending) return;
    drawPending = true;
    setTimeout(() => { drawPending = false; draw(); }, order.length > 1000 ? 500 : 150);
  };
  const ganttRows = 300;
  const countsEl = document.getElementById("step-counts");
  const draw = () => {
    const counts = {};
    steps.forEach((s) => { counts[s.status] = (counts[s.status] || 0) + 1; });
    countsEl.textContent = Object.keys(counts).length ? Object.entries(counts).map(([k, v]) => v + " " + k).join(" · ") : "";
    const rows = order.length > ganttRows ? order.slice(-ganttRows) : order;
    const rowH = 18, left = 170, width = Math.max(600, gantt.clientWidth - 20);
    const now = running ? Date.now() : tEnd;
    const span = Math.max(1, (now || 0) - (t0 || 0));
    const x = (t) => left + ((t - t0) / span) * (width - left - 10);
    const s = svg("svg", { width, height: rows.length * rowH + 24, class: "gantt-svg" });
    for (let i = 0; i <= 4; i++) {
      const gx = left + (i / 4) * (width - left - 10);
      s.appendChild(svg("line", { x1: gx, y1: 0, x2: gx, y2: rows.length * rowH + 4, class: "grid" }));
      const lbl = svg("text", { x: gx, y: rows.length * rowH + 18, "text-anchor": "middle" });
      lbl.textContent = "+" + fmtDur((span * i / 4) * 1e6); s.appendChild(lbl);
    }
    rows.forEach((n, i) => {
      const lbl = svg("text", { x: 4, y: i * rowH + 13 }); lbl.textContent = n.length > 24 ? n.slice(0, 23) + "…" : n; s.appendChild(lbl);
      for (const b of steps.get(n).bars) {
        const end = b.end === null ? now : b.end;
        const r = svg("rect", { x: x(b.start), y: i * rowH + 3, width: Math.max(2, x(end) - x(b.start)), height: rowH - 6, rx: 2, class: "bar-" + b.kind });
        const tt = svg("title", {}); tt.textContent = n + " attempt " + b.attempt + ": " + b.kind + " " + fmtDur((end - b.start) * 1e6);
        r.appendChild(tt); s.appendChild(r);
      }
    });
    gantt.replaceChildren(s);
    if (rows.length < order.length) gantt.prepend(el("p", "muted", "the " + rows.length + " steps started last, of " + order.length));
    if (!order.length) gantt.replaceChildren(el("p", "muted", "no steps started yet"));
  };
  let running = true;
  const statusEl = document.getElementById("run-status");
  const es = new EventSource("/api/runs/" + encodeURIComponent(runID) + "/stream");
  es.addEventListener("events", (m) => { for (const e of JSON.parse(m.data)) onEvent(e); });
  es.addEventListener("run", (m) => {
    const r = JSON.parse(m.data);
    statusEl.textContent = r.status; statusEl.className = "badge status-" + r.status;
    document.getElementById("run-duration").textContent = r.duration_ns > 0 ? fmtDur(r.duration_ns) : "-";
    document.getElementById("run-error").textContent = r.error || "";
    running = r.status === "STARTED";
    if (!running) window.assetflowEndShownAt = Date.now();
    const re = document.getElementById("reexecute");
    if (re && (r.status === "FAILURE" || r.status === "CANCELED")) re.hidden = false;
  });
  es.addEventListener("end", () => {
    es.close(); running = false; draw(); flushRows();
    lagEl.textContent = all.length + " events" + (lag.count ? " · max live lag " + lag.max + " ms" : "");
    document.body.dataset.ended = "1";
  });
  es.onerror = () => { if (!running) es.close(); };
  const tick = () => { if (running) { draw(); lagEl.textContent = "live · lag " + lag.last + " ms"; setTimeout(tick, 1000); } };
  tick();
  const re = document.getElementById("reexecute");
  if (re) re.addEventListener("click", async () => {
    re.disabled = true;
    const r = await post("/api/runs/" + encodeURIComponent(runID) + "/reexecute", {});
    if (!r.ok) { re.disabled = false; return say(document.getElementById("msg"), r.data.error, true); }
    location.href = r.data.url;
  });
  document.body.dataset.ready = "1";
}

// ---- Launchpad: YAML config, validated as --config is, dry run, launch.
function launchpad() {
  const kind = document.getElementById("lp-kind"), job = document.getElementById("lp-job"), sel = document.getElementById("lp-selection");
  const text = document.getElementById("lp-config"), gutter = document.getElementById("lp-gutter"), notes = document.getElementById("lp-notes");
  const status = document.getElementById("lp-status");
  const req = () => ({ kind: kind.value, job: kind.value === "job" ? job.value : "", selection: kind.value === "assets" ? sel.value : "", config: text.value });
  const showKind = () => {
    document.getElementById("lp-job-l").hidden = kind.value !== "job";
    document.getElementById("lp-sel-l").hidden = kind.value !== "assets";
  };
  const paint = (problems) => {
    const n = text.value.split("\n").length;
    const bad = new Map();
    for (const p of problems || []) if (p.line) bad.set(p.line, (bad.has(p.line) ? bad.get(p.line) + "; " : "") + p.message);
    gutter.replaceChildren(); notes.replaceChildren();
    for (let i = 1; i <= n; i++) {
      const g = el("span", bad.has(i) ? "bad" : "", String(i)); gutter.appendChild(g); gutter.appendChild(document.createTextNode("\n"));
      const m = el("span", "", bad.has(i) ? "← " + bad.get(i) : ""); m.dataset.line = i; if (bad.has(i)) m.title = bad.get(i); notes.appendChild(m); notes.appendChild(document.createTextNode("\n"));
    }
    gutter.scrollTop = text.scrollTop; notes.scrollTop = text.scrollTop;
  };
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; notes.scrollTop = text.scrollTop; });
  let timer = null, seq = 0;
  const validate = async () => {
    const my = ++seq;
    const r = await post("/api/validate", req());
    if (my !== seq) return r;
    if (r.ok) { say(status, "valid: runs " + r.data.nodes.join(", ")); paint([]); }
    else {
      const unlined = (r.data.problems || []).filter((p) => !p.line).map((p) => p.message);
      say(status, unlined.length ? unlined.join("; ") : r.data.error, true);
      paint(r.data.problems);
    }
    document.body.dataset.validated = r.ok ? "ok" : "bad";
    return r;
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(validate, 250); };
  text.addEventListener("input", () => { paint([]); later(); });
  [job, sel].forEach((e) => e.addEventListener("change", later));
  const defaults = async () => {
    const q = new URLSearchParams({ kind: kind.value, job: kind.value === "job" ? job.value : "", selection: sel.value });
    const r = await get("/api/config/defaults?" + q);
    if (r.ok) text.value = r.data.config; else say(status, r.data.error, true);
    paint([]); validate();
  };
  kind.addEventListener("change", () => { showKind(); defaults(); });
  document.getElementById("lp-defaults").addEventListener("click", defaults);
  document.getElementById("lp-dryrun").addEventListener("click", async () => {
    const r = await post("/api/dry-run", req());
    const box = document.getElementById("lp-preview"), list = document.getElementById("lp-steps");
    if (!r.ok) { paint(r.data.problems); return say(status, r.data.error, true); }
    list.replaceChildren();
    for (const s of r.data.steps) {
      const li = el("li", "", s.Node);
      if (s.Actions && s.Actions.length) { const pre = el("pre", "", s.Actions.join("\n")); li.appendChild(pre); }
      list.appendChild(li);
    }
    box.hidden = false;
  });
  document.getElementById("launchpad").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const btn = document.getElementById("lp-launch");
    btn.disabled = true; say(status, "launching…");
    const r = await post("/api/launch", req());
    if (!r.ok) { btn.disabled = false; paint(r.data.problems); return say(status, r.data.error, true); }
    location.href = r.data.url;
  });
  showKind(); paint([]); validate();
  document.body.dataset.ready = "1";
}

// ---- Runs list: while a run is in progress, refresh the list every few seconds.
function runsPage() {
  if (document.querySelector("#runs .status-STARTED")) {
    setTimeout(() => { if (document.visibilityState === "visible") location.reload(); else runsPage(); }, 3000);
  }
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "assets" && document.getElementById("graph")) assetsPage();
  else if (page === "run") runPage();
  else if (page === "launchpad") launchpad();
  else if (page === "runs") runsPage();
  else document.body.dataset.ready = "1";
});
