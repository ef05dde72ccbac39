// mockserver dashboard: plain JavaScript, no framework, no build step.
// It talks only to the server it came from: the admin API under ADMIN and, for the Data view,
// the API under API. When an admin call answers 401 it asks for the admin token and keeps it
// in sessionStorage (this tab only), sending it as "Authorization: Bearer".
"use strict";

const ADMIN = document.querySelector('meta[name="mock-admin"]').content;
const API = document.querySelector('meta[name="mock-api"]').content;
const TOKEN_KEY = "mockserver-admin-token";
const MAX_ROWS = 2000; // entries the page keeps (the journal keeps more; GET /_mock/requests has them)
const $ = (id) => document.getElementById(id);

// --- admin calls -------------------------------------------------------------------------------

let tokenAsked = null;

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  return headers;
}

function askToken() {
  if (tokenAsked) return tokenAsked;
  tokenAsked = new Promise((resolve) => {
    const dialog = $("token-dialog");
    const input = $("token-input");
    input.value = "";
    dialog.addEventListener("close", function done() {
      dialog.removeEventListener("close", done);
      tokenAsked = null;
      if (dialog.returnValue === "ok" && input.value) {
        sessionStorage.setItem(TOKEN_KEY, input.value);
        resolve(true);
      } else {
        resolve(false);
      }
    });
    dialog.showModal();
    input.focus();
  });
  return tokenAsked;
}

// fetch() of an admin route, asking for the token on a 401 (and trying again once given).
async function admin(path, options) {
  options = options || {};
  for (;;) {
    const response = await fetch(ADMIN + path, Object.assign({}, options, {
      headers: authHeaders(options.headers), credentials: "same-origin", cache: "no-store",
    }));
    if (response.status !== 401) return response;
    sessionStorage.removeItem(TOKEN_KEY);
    if (!(await askToken())) return response;
  }
}

async function adminJson(path, options) {
  const response = await admin(path, options);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  if (!response.ok) {
    const error = new Error(messageOf(body) || ("HTTP " + response.status));
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

function messageOf(body) {
  if (!body || typeof body !== "object") return typeof body === "string" ? body : "";
  let text = body.Message || "";
  if (body.ModelState) {
    for (const [key, list] of Object.entries(body.ModelState)) text += " " + key + ": " + list.join(" ");
  }
  return text;
}

function notice(text) {
  const box = $("notice");
  box.textContent = text || "";
  box.hidden = !text;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// --- tabs --------------------------------------------------------------------------------------

const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
const onShow = {};

function select(tab, focus) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
  const view = tab.id.slice(4);
  history.replaceState(null, "", "#" + view);
  if (onShow[view]) onShow[view]();
}

tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => select(tab, false));
  tab.addEventListener("keydown", (event) => {
    let next = null;
    if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (next) { event.preventDefault(); select(next, true); }
  });
});

// --- requests: the journal live ----------------------------------------------------------------

const entries = []; // newest last
const bySeq = new Map();
const tenantsSeen = new Set();
let lastSeq = null;
let skippedTotal = 0;
let selectedSeq = null;
let renderQueued = false;

function statusClass(status) {
  return status === null || status === undefined ? "none" : String(Math.floor(status / 100));
}

function addEntry(entry) {
  if (bySeq.has(entry.seq)) return;
  entry._fresh = true;
  bySeq.set(entry.seq, entry);
  entries.push(entry);
  if (entries.length > 1 && entries[entries.length - 2].seq > entry.seq) entries.sort((a, b) => a.seq - b.seq);
  while (entries.length > MAX_ROWS) bySeq.delete(entries.shift().seq);
  if (!tenantsSeen.has(entry.tenant)) {
    tenantsSeen.add(entry.tenant);
    $("f-tenant").append(el("option", { value: entry.tenant, text: entry.tenant }));
  }
  queueRender();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderRequests();
    if (!$("view-traffic").hidden) renderTraffic();
  });
}

function matchesFilters(entry) {
  const tenant = $("f-tenant").value;
  const method = $("f-method").value;
  const path = $("f-path").value.trim().toLowerCase();
  const status = $("f-status").value;
  if (tenant && entry.tenant !== tenant) return false;
  if (method && entry.method !== method) return false;
  if (path && !entry.path.toLowerCase().includes(path)) return false;
  if (status && statusClass(entry.status) !== status) return false;
  return true;
}

function timeOf(iso) {
  const date = new Date(iso);
  return date.toISOString().slice(11, 23);
}

function badge(status) {
  const cls = statusClass(status);
  return el("span", { class: "badge b" + cls, text: status === null ? "—" : String(status) });
}

function renderRequests() {
  const body = $("request-rows");
  const rows = [];
  for (let i = entries.length - 1; i >= 0 && rows.length < 500; i--) {
    const entry = entries[i];
    if (!matchesFilters(entry)) continue;
    const target = entry.path + (entry.query ? "?" + entry.query : "");
    const pathCell = el("td", { class: "path mono" }, target);
    for (const rule of entry.rules || []) pathCell.append(" ", el("span", { class: "tag", text: rule }));
    if (entry.fault) pathCell.append(" ", el("span", { class: "tag fault", text: entry.fault }));
    const row = el("tr", {
      tabindex: "0", "data-seq": entry.seq, "aria-selected": String(entry.seq === selectedSeq),
      class: entry._fresh ? "fresh" : "",
      onclick: () => showDetail(entry.seq),
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showDetail(entry.seq); }
        else if (event.key === "ArrowDown" && row.nextElementSibling) { event.preventDefault(); row.nextElementSibling.focus(); }
        else if (event.key === "ArrowUp" && row.previousElementSibling) { event.preventDefault(); row.previousElementSibling.focus(); }
      },
    },
    el("td", { class: "num", text: String(entry.seq) }),
    el("td", { class: "mono hide-narrow", text: timeOf(entry.time) }),
    el("td", { text: entry.tenant }),
    el("td", { text: entry.method }),
    pathCell,
    el("td", {}, badge(entry.status)),
    el("td", { class: "num", text: entry.latency_ms.toFixed(1) }));
    entry._fresh = false;
    rows.push(row);
  }
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.seq : null;
  body.replaceChildren(...rows);
  if (focused) {
    const again = body.querySelector('tr[data-seq="' + focused + '"]');
    if (again) again.focus();
  }
  $("request-empty").hidden = rows.length > 0;
}

for (const id of ["f-tenant", "f-method", "f-status"]) $(id).addEventListener("change", renderRequests);
$("f-path").addEventListener("input", renderRequests);
$("request-filters").addEventListener("submit", (event) => event.preventDefault());
$("clear-journal").addEventListener("click", async () => {
  try {
    await adminJson("/requests", { method: "DELETE" });
    entries.length = 0;
    bySeq.clear();
    showDetail(null);
    renderRequests();
  } catch (error) { notice("Clearing the journal failed: " + error.message); }
});

function headerValue(entry, name) {
  return entry.headers[name];
}

function bodyText(entry, key) {
  if (entry[key + "_base64"]) return "(binary, base64) " + entry[key + "_base64"];
  const text = entry[key] || "";
  if (!text) return "(none)";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

function shellQuote(text) {
  return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

function curlOf(entry) {
  const url = location.origin + entry.path + (entry.query ? "?" + entry.query : "");
  const parts = ["curl"];
  if (entry.method !== "GET") parts.push("-X", entry.method);
  for (const [name, value] of Object.entries(entry.headers)) {
    if (["host", "content-length", "connection", "accept-encoding"].includes(name)) continue;
    parts.push("-H", shellQuote(name + ": " + value));
  }
  if (entry.body) parts.push("--data-raw", shellQuote(entry.body));
  parts.push(shellQuote(url));
  return parts.join(" ");
}

function fact(list, name, value) {
  list.append(el("dt", { text: name }), el("dd", {}, value));
}

function showDetail(seq) {
  selectedSeq = seq;
  const panel = $("detail");
  for (const row of $("request-rows").children) row.setAttribute("aria-selected", String(Number(row.dataset.seq) === seq));
  const entry = seq === null ? null : bySeq.get(seq);
  if (!entry) { panel.hidden = true; return; }
  panel.hidden = false;
  const target = entry.path + (entry.query ? "?" + entry.query : "");
  $("detail-title").textContent = "#" + entry.seq + " " + entry.method + " " + target;
  const facts = $("detail-facts");
  facts.replaceChildren();
  fact(facts, "Request line", entry.method + " " + target + " HTTP/1.1");
  fact(facts, "Time", entry.time);
  if (entry.mock_time && Date.parse(entry.mock_time) !== Date.parse(entry.time)) fact(facts, "Mock time", entry.mock_time);
  fact(facts, "Tenant", entry.tenant);
  fact(facts, "Status", entry.status === null ? "no answer (connection fault)" : String(entry.status));
  fact(facts, "Latency", entry.latency_ms.toFixed(2) + " ms");
  const rules = el("span", { id: "detail-rules" });
  if ((entry.rules || []).length) for (const rule of entry.rules) rules.append(el("span", { class: "tag", text: rule }));
  else rules.append("none");
  fact(facts, "Rules fired", rules);
  fact(facts, "Fault", entry.fault || "none");
  fact(facts, "Upstream", entry.upstream ? "yes (passed through to the upstream)" : "no (answered by the mock)");
  fact(facts, "Route", entry.route + (entry.routed ? "" : " (no route matched)") + (entry.invalid ? " (rejected as invalid)" : ""));
  if (entry.note) fact(facts, "Note", entry.note);
  const headers = $("detail-headers");
  headers.replaceChildren(...Object.entries(entry.headers).map(([name, value]) =>
    el("tr", {}, el("th", { scope: "row", text: name }), el("td", { text: value }))));
  $("detail-body").textContent = bodyText(entry, "body") +
    (entry.body_truncated ? "\n… (" + entry.body_size + " bytes sent; the journal kept the start)" : "");
  $("detail-answer").textContent = bodyText(entry, "response_body");
  $("detail-curl").value = curlOf(entry);
}

$("close-detail").addEventListener("click", () => showDetail(null));
$("copy-curl").addEventListener("click", async () => {
  const text = $("detail-curl").value;
  try {
    await navigator.clipboard.writeText(text);
    $("copy-curl").textContent = "Copied";
  } catch (e) {
    $("detail-curl").select();
    document.execCommand("copy");
    $("copy-curl").textContent = "Selected";
  }
  setTimeout(() => { $("copy-curl").textContent = "Copy as curl"; }, 1500);
});

// The stream: fetch() rather than EventSource, which cannot send the Authorization header.
function setStatus(text, skipped) {
  const status = $("stream-status");
  status.textContent = text;
  status.classList.toggle("skipped", !!skipped);
}

function handleEvent(kind, id, data) {
  if (kind === "skipped") {
    const info = JSON.parse(data);
    skippedTotal += info.skipped;
    setStatus("live · " + skippedTotal + " skipped (the page fell behind)", true);
    return;
  }
  if (!data) return;
  const entry = JSON.parse(data);
  if (id) lastSeq = Number(id);
  addEntry(entry);
}

async function stream() {
  for (;;) {
    try {
      const headers = { Accept: "text/event-stream" };
      const query = lastSeq === null ? "?limit=500" : "";
      if (lastSeq !== null) headers["Last-Event-ID"] = String(lastSeq);
      const response = await admin("/requests/stream" + query, { headers });
      if (!response.ok) {
        setStatus("not live: " + response.status);
        notice("The journal stream answered " + response.status + ": " + messageOf(await response.json().catch(() => null)));
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      notice("");
      setStatus(skippedTotal ? "live · " + skippedTotal + " skipped" : "live", skippedTotal > 0);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let kind = "message", id = null;
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") kind = text;
            else if (field === "id") id = text;
            else if (field === "data") data.push(text);
          }
          handleEvent(kind, id, data.join("\n"));
        }
      }
    } catch (error) {
      setStatus("reconnecting…");
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// --- traffic -----------------------------------------------------------------------------------

const WINDOW_S = 300;
const CLASSES = [["2", "2xx", "--s2"], ["3", "3xx", "--s3"], ["4", "4xx", "--s4"], ["5", "5xx", "--s5"], ["none", "no answer", "--snone"]];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function color(variable) {
  return getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
}

function renderTraffic() {
  const now = Date.now() / 1000;
  const start = Math.floor(now) - WINDOW_S + 1;
  const buckets = CLASSES.map(() => new Array(WINDOW_S).fill(0));
  const latencies = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    const at = Date.parse(entry.time) / 1000;
    if (at < start) continue;
    const slot = Math.floor(at) - start;
    if (slot >= 0 && slot < WINDOW_S) {
      const cls = CLASSES.findIndex((c) => c[0] === statusClass(entry.status));
      buckets[cls][slot] += 1;
    }
    latencies.push(entry.latency_ms);
  }
  // Requests per second, stacked by status class.
  const width = 600, height = 180, left = 34, bottom = 18;
  let peak = 1;
  for (let s = 0; s < WINDOW_S; s++) peak = Math.max(peak, buckets.reduce((sum, b) => sum + b[s], 0));
  const rate = svg("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  const plotW = width - left - 4, plotH = height - bottom - 6;
  for (const fraction of [0, 0.5, 1]) {
    const y = 6 + plotH * (1 - fraction);
    rate.append(svg("line", { x1: left, x2: width - 4, y1: y, y2: y, stroke: "#d9dce3" }));
    const label = svg("text", { x: left - 4, y: y + 3, "text-anchor": "end" });
    label.textContent = String(Math.round(peak * fraction));
    rate.append(label);
  }
  const barW = plotW / WINDOW_S;
  for (let s = 0; s < WINDOW_S; s++) {
    let y = 6 + plotH;
    buckets.forEach((bucket, index) => {
      if (!bucket[s]) return;
      const h = (bucket[s] / peak) * plotH;
      y -= h;
      rate.append(svg("rect", { x: left + s * barW, y, width: Math.max(barW, 1), height: h, fill: color(CLASSES[index][2]) }));
    });
  }
  for (const [offset, text] of [[0, "-5 min"], [WINDOW_S / 2, "-2.5 min"], [WINDOW_S - 1, "now"]]) {
    const label = svg("text", { x: left + offset * barW, y: height - 4, "text-anchor": offset ? (offset === WINDOW_S - 1 ? "end" : "middle") : "start" });
    label.textContent = text;
    rate.append(label);
  }
  $("rate-chart").replaceChildren(rate);
  $("rate-legend").replaceChildren(...CLASSES.map(([key, name, variable], index) => {
    const total = buckets[index].reduce((a, b) => a + b, 0);
    const swatch = el("i");
    swatch.style.background = color(variable);
    return el("li", {}, swatch, name + ": " + total);
  }));
  // Latency histogram on log-spaced buckets.
  const edges = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity];
  const counts = new Array(edges.length).fill(0);
  for (const ms of latencies) counts[edges.findIndex((edge) => ms <= edge)] += 1;
  const hist = svg("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  const most = Math.max(1, ...counts);
  const slotW = plotW / edges.length;
  counts.forEach((count, index) => {
    const h = (count / most) * plotH;
    hist.append(svg("rect", { x: left + index * slotW + 2, y: 6 + plotH - h, width: slotW - 4, height: h, fill: color("--accent") }));
    const label = svg("text", { x: left + index * slotW + slotW / 2, y: height - 4, "text-anchor": "middle" });
    label.textContent = edges[index] === Infinity ? ">5s" : "≤" + edges[index];
    hist.append(label);
    if (count) {
      const value = svg("text", { x: left + index * slotW + slotW / 2, y: 6 + plotH - h - 2, "text-anchor": "middle" });
      value.textContent = String(count);
      hist.append(value);
    }
  });
  $("latency-chart").replaceChildren(hist);
  const sorted = latencies.slice().sort((a, b) => a - b);
  const pick = (q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2) : "–";
  $("latency-summary").textContent = sorted.length
    ? `${sorted.length} requests in the last 5 minutes · p50 ${pick(0.5)} ms · p95 ${pick(0.95)} ms · p99 ${pick(0.99)} ms · max ${sorted[sorted.length - 1].toFixed(2)} ms`
    : "No requests in the last 5 minutes.";
}

onShow.traffic = renderTraffic;
setInterval(() => { if (!$("view-traffic").hidden) renderTraffic(); }, 1000);

// --- scenario ----------------------------------------------------------------------------------

const editor = $("scenario-text");
let checkTimer = null;
let checkRound = 0;
let badLines = new Set();

function renderGutter() {
  const lines = editor.value.split("\n").length;
  const gutter = $("gutter");
  const parts = [];
  for (let n = 1; n <= lines; n++) {
    parts.push(badLines.has(n) ? el("span", { class: "bad", "data-line": n, text: String(n) }) : String(n) + "\n");
  }
  gutter.replaceChildren(...parts);
  gutter.scrollTop = editor.scrollTop;
}

function goToLine(line, column) {
  const lines = editor.value.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  offset += Math.max(0, (column || 1) - 1);
  editor.focus();
  editor.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
  renderGutter();
}

function showProblems(problems, ok) {
  const list = $("scenario-problems");
  badLines = new Set(problems.filter((p) => p.line).map((p) => p.line));
  list.replaceChildren(...problems.map((p) => {
    const item = el("li", { "data-line": p.line || "" });
    if (p.line) {
      item.append(el("button", { type: "button", text: `line ${p.line}, column ${p.column}`, onclick: () => goToLine(p.line, p.column) }), ": ");
    }
    item.append(p.message);
    return item;
  }));
  if (ok) list.append(el("li", { class: "ok", text: ok }));
  renderGutter();
}

function problemsFromTexts(texts) {
  return texts.map((text) => {
    const site = /^(.*?):(\d+):(\d+): ([\s\S]*)$/.exec(text);
    return site ? { file: site[1], line: Number(site[2]), column: Number(site[3]), message: site[4], text }
      : { file: null, line: null, column: null, message: text, text };
  });
}

async function checkNow() {
  const round = ++checkRound;
  const text = editor.value;
  if (!text.trim()) { showProblems([], ""); $("scenario-state").textContent = ""; return; }
  try {
    const answer = await adminJson("/scenario/check", { method: "POST", body: text, headers: { "Content-Type": "application/yaml" } });
    if (round !== checkRound) return;
    showProblems(answer.problems, answer.valid ? "No problems." : "");
    $("scenario-state").textContent = answer.valid ? "valid" : answer.problems.length + " problem(s)";
  } catch (error) {
    if (round === checkRound) $("scenario-state").textContent = "could not check: " + error.message;
  }
}

editor.addEventListener("input", () => {
  renderGutter();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkNow, 300);
});
editor.addEventListener("scroll", () => { $("gutter").scrollTop = editor.scrollTop; });
editor.addEventListener("keydown", (event) => {
  if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey && editor.dataset.indent === "on") {
    event.preventDefault();
    editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
  }
  if (event.key === "Escape") editor.dataset.indent = "off"; // Tab leaves the editor again
});
editor.addEventListener("focus", () => { editor.dataset.indent = "on"; });

async function applyText(text, label) {
  $("scenario-state").textContent = "applying " + label + "…";
  try {
    const shown = await adminJson("/scenario", { method: "PUT", body: text, headers: { "Content-Type": "application/yaml" } });
    $("scenario-state").textContent = "applied " + (shown.name || label);
    await loadScenario(false);
    showProblems([], "Applied.");
  } catch (error) {
    const texts = error.body && error.body.ModelState && error.body.ModelState.scenario;
    if (texts) {
      showProblems(problemsFromTexts(texts), "");
      $("scenario-state").textContent = "not applied: " + texts.length + " problem(s); nothing changed";
    } else {
      $("scenario-state").textContent = "not applied: " + error.message;
    }
  }
}

$("scenario-apply").addEventListener("click", () => applyText(editor.value, "the edited scenario"));
$("scenario-clear").addEventListener("click", async () => {
  try {
    await adminJson("/scenario", { method: "DELETE" });
    $("scenario-state").textContent = "cleared: back to the start-up scenarios";
    await loadScenario(true);
  } catch (error) { $("scenario-state").textContent = "clearing failed: " + error.message; }
});

async function loadScenario(replaceText) {
  try {
    const answer = await adminJson("/scenarios");
    const active = answer.active;
    $("scenario-name").textContent = active.active ? "· " + (active.name || "unnamed") : "· none";
    if (replaceText) {
      editor.value = active.text || "";
      showProblems([], "");
    }
    const list = $("scenario-list");
    list.replaceChildren(...answer.scenarios.map((item) => el("li", {},
      el("div", { class: "row" },
        el("strong", { text: item.name }),
        el("span", { class: "origin", text: item.origin + (item.shadows_shipped ? " (shadows shipped)" : "") }),
        el("button", { type: "button", class: "secondary", "aria-label": "Edit " + item.name, text: "Edit",
          onclick: async () => { editor.value = await (await admin("/scenarios/" + encodeURIComponent(item.name))).text(); renderGutter(); checkNow(); } }),
        el("button", { type: "button", "aria-label": "Apply " + item.name, text: "Apply",
          onclick: async () => {
            const response = await admin("/scenarios/" + encodeURIComponent(item.name));
            const text = await response.text();
            if (!response.ok) { $("scenario-state").textContent = "cannot read " + item.name; return; }
            editor.value = text;
            renderGutter();
            await applyText(text, item.name);
          } })),
      el("p", { text: item.summary || "" }))));
  } catch (error) { notice("The scenarios could not be read: " + error.message); }
}

let scenarioLoaded = false;
onShow.scenario = () => { if (!scenarioLoaded) { scenarioLoaded = true; loadScenario(true); } else loadScenario(false); };

// --- tenants -----------------------------------------------------------------------------------

async function loadTenants() {
  try {
    const answer = await adminJson("/tenants");
    const names = $("tenant-names");
    names.replaceChildren(...answer.tenants.map((t) => el("option", { value: t.name })));
    $("tenants-summary").textContent = answer.count + " tenant(s)" + (answer.max_tenants ? " of at most " + answer.max_tenants : "");
    $("tenant-rows").replaceChildren(...answer.tenants.map((tenant) => el("tr", { "data-tenant": tenant.name },
      el("td", { text: tenant.name }),
      el("td", { class: "num", text: String(tenant.sessions) }),
      el("td", { class: "num", text: String(tenant.writes) }),
      el("td", { text: tenant.last_activity || "–" }),
      el("td", {},
        el("button", { type: "button", class: "secondary", "aria-label": "Reset tenant " + tenant.name, text: "Reset",
          onclick: () => tenantAction("/reset?tenant=" + encodeURIComponent(tenant.name), "POST", "reset " + tenant.name) }),
        " ",
        el("button", { type: "button", class: "danger", "aria-label": "Delete tenant " + tenant.name, text: "Delete",
          onclick: () => { if (confirm("Delete tenant " + tenant.name + " (its data, sessions and journal)?")) tenantAction("/tenants/" + encodeURIComponent(tenant.name), "DELETE", "deleted " + tenant.name); } })))));
  } catch (error) { notice("The tenants could not be read: " + error.message); }
}

async function tenantAction(path, method, done) {
  try {
    const response = await admin(path, { method });
    if (!response.ok) throw new Error(messageOf(await response.json().catch(() => null)) || "HTTP " + response.status);
    $("tenants-summary").textContent = done;
    await loadTenants();
    $("tenants-summary").textContent += " · " + done;
  } catch (error) { notice("Failed: " + error.message); }
}

$("tenants-refresh").addEventListener("click", loadTenants);
onShow.tenants = loadTenants;

// --- data --------------------------------------------------------------------------------------

const sessions = {}; // tenant -> Session-Id, when the server requires sessions
const COLUMNS = {
  customers: ["id", "number", "name", "email", "city", "modified"],
  invoices: ["id", "number", "customer_id", "customer_name", "invoice_date", "total", "state"],
};

async function apiGet(tenant, url) {
  const headers = { "X-Mock-Tenant": tenant, "X-Mock-Journal": "off", Accept: "application/json" };
  if (sessions[tenant]) { headers["Session-Id"] = sessions[tenant]; delete headers["X-Mock-Tenant"]; }
  let response = await fetch(url, { headers, cache: "no-store" });
  if (response.status === 401) { // auth required: log in to the tenant, as any client would
    const login = await fetch(API + "/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json", "X-Mock-Journal": "off" },
      body: JSON.stringify({ UserName: "dashboard", Password: "dashboard", Database: tenant, ApiKey: "dashboard" }),
    });
    if (login.ok) {
      const answer = await login.json();
      sessions[tenant] = answer.session_id || answer.SessionId || answer.id || "";
      delete headers["X-Mock-Tenant"];
      headers["Session-Id"] = sessions[tenant];
      response = await fetch(url, { headers, cache: "no-store" });
    }
  }
  return response;
}

async function loadData() {
  const tenant = $("d-tenant").value.trim() || "default";
  const resource = $("d-resource").value;
  const params = new URLSearchParams($("d-filters").value.trim().replace(/^\?/, ""));
  params.set("page", $("d-page").value || "1");
  params.set("page_size", $("d-size").value || "10");
  const url = API + "/" + resource + "?" + params.toString();
  $("data-summary").textContent = "loading…";
  try {
    const response = await apiGet(tenant, url);
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      $("data-summary").textContent = "GET " + url + " → " + response.status + ": " + messageOf(body);
      $("data-table").replaceChildren();
      return;
    }
    const results = body.results || [];
    $("data-summary").textContent = `GET ${url} → ${body.result_count} on page ${params.get("page")} (tenant ${tenant})`;
    const columns = COLUMNS[resource].filter((c) => results.some((r) => r[c] !== undefined));
    const cell = (value) => value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    $("data-table").replaceChildren(
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, ...results.map((record) => el("tr", {}, ...columns.map((c) => el("td", { text: cell(record[c]) }))))));
    $("d-next").disabled = results.length < Number($("d-size").value || 10);
    $("d-prev").disabled = Number($("d-page").value) <= 1;
  } catch (error) { $("data-summary").textContent = "failed: " + error.message; }
}

$("data-form").addEventListener("submit", (event) => { event.preventDefault(); loadData(); });
$("d-next").addEventListener("click", () => { $("d-page").value = Number($("d-page").value || 1) + 1; loadData(); });
$("d-prev").addEventListener("click", () => { $("d-page").value = Math.max(1, Number($("d-page").value || 1) - 1); loadData(); });
let dataLoaded = false;
onShow.data = () => { if (!dataLoaded) { dataLoaded = true; loadData(); } };

// --- clock -------------------------------------------------------------------------------------

function clockPath(path) {
  const tenant = $("c-tenant").value.trim();
  return "/clock" + (path || "") + (tenant ? "?tenant=" + encodeURIComponent(tenant) : "");
}

function showClock(answer) {
  $("clock-now").textContent = answer.now;
  $("clock-frozen").textContent = answer.frozen ? "yes (frozen)" : "no (running)";
}

async function clockCall(path, method, body, done) {
  try {
    const options = { method: method || "GET" };
    if (body) { options.body = JSON.stringify(body); options.headers = { "Content-Type": "application/json" }; }
    const answer = await adminJson(clockPath(path), options);
    if (answer && answer.now) showClock(answer);
    else await clockCall("", "GET");
    if (done) $("clock-state").textContent = done;
  } catch (error) {
    $("clock-state").textContent = error.status === 404 && !error.body?.ModelState
      ? "This server has no clock control (" + error.message + ")" : "Failed: " + error.message;
  }
}

$("clock-refresh").addEventListener("click", () => clockCall("", "GET"));
$("clock-freeze").addEventListener("submit", (event) => {
  event.preventDefault();
  const at = $("c-at").value.trim() || new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const running = $("c-running").checked;
  clockCall("", "PUT", running ? { now: at, frozen: false } : { now: at }, running ? "set to " + at + ", running" : "frozen at " + at);
});
$("clock-advance").addEventListener("submit", (event) => {
  event.preventDefault();
  const seconds = Number($("c-seconds").value || 0);
  clockCall("/advance", "POST", { seconds }, "advanced by " + seconds + " s");
});
$("clock-real").addEventListener("click", () => clockCall("", "DELETE", null, "back to real time"));
onShow.clock = () => clockCall("", "GET");

// --- start -------------------------------------------------------------------------------------

const first = tabs.find((tab) => "#" + tab.id.slice(4) === location.hash) || tabs[0];
select(first, false);
stream();
