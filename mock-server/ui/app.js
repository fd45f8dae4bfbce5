// userfront-mock web page. Plain DOM, no framework; every string from the mock goes through
// textContent, never innerHTML. It talks only to its own origin: the control surface
// (/__mock/*) and the public JWKS (/v0/tenants/{id}/jwks/{mode}).
"use strict";

const $ = (sel) => document.querySelector(sel);
/** Makes an element: el("td", {class: "x"}, "text", child). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}
const pretty = (v) => JSON.stringify(v, null, 2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** "2030-01-01T00:00:00.000Z" → "2030-01-01 00:00:00 UTC". */
const when = (iso) => (iso ? String(iso).replace("T", " ").replace(/\.\d+Z$|Z$/, "") + " UTC" : "—");

function status(text, isError) {
  const s = $("#status");
  s.textContent = text || "";
  s.classList.toggle("error", !!isError);
}

/** fetch a JSON document; throws with the mock's message on an error answer. */
async function api(path, init) {
  const resp = await fetch(path, Object.assign({ headers: { accept: "application/json" } }, init));
  const text = await resp.text();
  let body;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!resp.ok) throw new Error((body && body.message) || `${resp.status} ${resp.statusText}`);
  return body;
}
const post = (path, body) =>
  api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {}) });

// ---------------------------------------------------------------- tabs

const TABS = ["outbox", "users", "requests", "webhooks", "clock", "keys"];
let current = null;
function showTab() {
  const name = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "outbox";
  current = name;
  status(""); // a message belongs to the section it came from
  for (const t of TABS) $("#" + t).hidden = t !== name;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.tab === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  ({ users: loadUsers, webhooks: loadWebhooks, keys: loadKeys, clock: loadClock }[name] || (() => {}))();
}

// ---------------------------------------------------------------- mock state (workspaces, keys, time)

let mockState = null;
async function loadState() {
  mockState = await api("/__mock/state");
  showNow(mockState.now);
  const sel = $("#users-tenant");
  const chosen = sel.value;
  sel.replaceChildren(...mockState.workspaces.map((w) => el("option", { value: w.tenantId }, `${w.name} (${w.tenantId})`)));
  if (chosen) sel.value = chosen;
  return mockState;
}
function showNow(iso) {
  $("#header-now").textContent = when(iso);
  $("#header-now").setAttribute("datetime", iso);
  $("#clock-now").textContent = when(iso);
  $("#clock-now").setAttribute("datetime", iso);
}

// ---------------------------------------------------------------- long-poll helper

/**
 * Follows a list: `fetchOnce(wait, signal)` is called again and again and each new answer is
 * `render`ed. The mock holds a `?wait=25s` call until an entry matches and answers at once when
 * one already does, so the page waits only while the list is empty (the first message shows the
 * moment it is written) and otherwise asks again after a second: a wait on a non-empty list
 * would gain nothing, and one on a list emptied elsewhere (a reset) would keep stale entries on
 * screen. The first call after a (re)start never waits, so a new filter shows at once; a
 * restart aborts the call in flight, which frees its waiting slot on the mock.
 */
function follow(fetchOnce, render, liveEl) {
  let generation = 0;
  let controller = null;
  let lastKey = null;
  async function loop(gen, signal) {
    let wait = null;
    while (gen === generation) {
      const started = Date.now();
      try {
        const body = await fetchOnce(wait, signal);
        if (gen !== generation) return;
        wait = (body.results || []).length === 0 ? "25s" : null;
        const key = JSON.stringify(body);
        if (key !== lastKey) { lastKey = key; render(body); }
        if (liveEl) liveEl.textContent = "live · checked " + new Date().toLocaleTimeString();
        if (Date.now() - started < 1000) await sleep(1000);
      } catch (e) {
        if (gen !== generation) return;
        if (liveEl) liveEl.textContent = "disconnected, retrying…";
        await sleep(2000);
      }
    }
  }
  return {
    restart() {
      generation += 1;
      if (controller) controller.abort();
      controller = new AbortController();
      lastKey = null;
      loop(generation, controller.signal);
    },
  };
}

// ---------------------------------------------------------------- outbox

function outboxQuery(wait) {
  const q = new URLSearchParams(wait ? { wait } : {});
  const to = $("#outbox-to").value.trim();
  const type = $("#outbox-type").value;
  if (to) q.set("to", to);
  if (type) q.set("type", type);
  return q;
}
function renderOutbox(body) {
  const list = $("#outbox-list");
  const items = (body.results || []).slice().reverse();
  $("#outbox-empty").hidden = items.length > 0;
  list.replaceChildren(...items.map((m) => {
    const actions = [];
    if (m.link) {
      actions.push(el("a", { href: m.link, target: "_blank", rel: "noopener noreferrer", class: "open-link" },
        "Open link", el("span", { class: "sr-only" }, ` (${m.type} for ${m.to})`)));
    }
    if (m.verificationCode) {
      actions.push(el("span", { class: "code mono" }, m.verificationCode));
      actions.push(el("button", {
        type: "button", class: "secondary",
        "aria-label": `Copy code ${m.verificationCode}`,
        onclick: (ev) => copy(m.verificationCode, ev.currentTarget),
      }, "Copy code"));
    }
    if (m.link) {
      actions.push(el("button", {
        type: "button", class: "link", "aria-label": `Copy link for ${m.to}`,
        onclick: (ev) => copy(m.link, ev.currentTarget),
      }, "Copy link"));
    }
    return el("li", { class: "card message", "data-type": m.type, "data-to": m.to },
      el("div", { class: "top" },
        el("span", { class: "badge" }, m.type),
        el("span", { class: "to" }, m.to),
        el("span", { class: "badge" + (m.mode === "live" ? " live-mode" : "") }, `${m.tenantId} · ${m.mode}`),
        el("span", { class: "meta" }, `${m.channel} · `, el("time", { datetime: m.submittedAt }, when(m.submittedAt)))),
      el("div", { class: "actions" }, actions));
  }));
}
async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (not a secure context, or denied): select the text for the user instead.
    window.prompt("Copy:", text);
  }
}
const outbox = follow(
  (wait, signal) => api("/__mock/outbox?" + outboxQuery(wait), { signal }), renderOutbox, $("#outbox-live"));

// ---------------------------------------------------------------- users

let usersTimer = null;
async function loadUsers() {
  try {
    if (!mockState) await loadState();
    const q = new URLSearchParams({ tenantId: $("#users-tenant").value, mode: $("#users-mode").value });
    const search = $("#users-q").value.trim();
    if (search) q.set("q", search);
    const body = await api("/__mock/users?" + q);
    $("#users-count").textContent = `${body.totalCount} user${body.totalCount === 1 ? "" : "s"}` +
      (body.totalCount > body.results.length ? ` (first ${body.results.length} shown)` : "");
    $("#users-table tbody").replaceChildren(...body.results.map((u) =>
      el("tr", { "data-user-id": u.userId },
        el("td", {}, String(u.userId)),
        el("td", { class: "key" }, u.email || "—"),
        el("td", { class: "wide" }, u.username),
        el("td", { class: "wide" }, u.isEmailConfirmed ? "yes" : "no"),
        el("td", {}, el("button", {
          type: "button", class: "link", "aria-label": `Show ${u.email || u.username}`,
          onclick: (ev) => showUser(u, ev.currentTarget.closest("tr")),
        }, "Show")))));
    status("");
  } catch (e) { status("Users: " + e.message, true); }
}
function showUser(u, row) {
  for (const r of document.querySelectorAll("#users-table tr.selected")) r.classList.remove("selected");
  row.classList.add("selected");
  const roles = Object.entries(u.roles || {});
  const d = $("#user-detail");
  d.hidden = false;
  d.replaceChildren(
    el("h3", {}, `User ${u.userId}: ${u.email || u.username}`),
    el("dl", { class: "kv" },
      ...kv("Username", u.username), ...kv("Name", u.name || "—"), ...kv("Phone", u.phoneNumber || "—"),
      ...kv("Email confirmed", u.isEmailConfirmed ? "yes" : "no"),
      ...kv("Password", u.hasPassword ? "set" : "none"),
      ...kv("TOTP", u.totp ? "on" : "off"),
      ...kv("MFA required", u.isMfaRequired ? "yes" : "no"),
      ...kv("Locked", u.locked ? "yes" : "no"),
      ...kv("Created", when(u.createdAt)), ...kv("Last active", when(u.lastActiveAt))),
    el("h4", {}, "Roles"),
    roles.length
      ? el("ul", {}, roles.map(([t, r]) => el("li", {}, `${t}: ${r.join(", ") || "—"}`)))
      : el("p", { class: "empty" }, "No roles."),
    el("h4", {}, "Data"),
    el("pre", {}, pretty(u.data)),
    el("h4", {}, `Sessions (${u.sessions.length})`),
    u.sessions.length
      ? el("ul", {}, u.sessions.map((s) => el("li", {},
          `${s.active ? "active" : "ended"} · ${s.tenantId} · ${s.firstFactor.strategy}` +
          (s.secondFactor ? ` + ${s.secondFactor.strategy}` : "") +
          ` · since ${when(s.createdAt)} · expires ${when(s.expiresAt)}`)))
      : el("p", { class: "empty" }, "No sessions."));
}
const kv = (k, v) => [el("dt", {}, k), el("dd", {}, v)];

// ---------------------------------------------------------------- requests

function requestsQuery(wait) {
  const q = new URLSearchParams(wait ? { wait, limit: "200" } : { limit: "200" });
  for (const f of ["method", "path", "status"]) {
    const v = $("#requests-" + f).value.trim();
    if (v) q.set(f, v);
  }
  return q;
}
function renderRequests(body) {
  const rows = (body.results || []).slice().reverse();
  $("#requests-table tbody").replaceChildren(...rows.map((r) => {
    const cls = "s" + String(r.status)[0];
    return el("tr", { "data-id": r.id, "data-path": r.path },
      el("td", { class: cls }, el("span", { class: "sr-only" }, "status "), String(r.status)),
      el("td", {}, r.method),
      el("td", { class: "path" }, r.path),
      el("td", { class: "wide" }, el("time", { datetime: r.at }, when(r.at))),
      el("td", {}, el("button", {
        type: "button", class: "link", "aria-label": `Show ${r.method} ${r.path}`,
        onclick: (ev) => showRequest(r, ev.currentTarget.closest("tr")),
      }, "Show")));
  }));
}
function showRequest(r, row) {
  for (const x of document.querySelectorAll("#requests-table tr.selected")) x.classList.remove("selected");
  row.classList.add("selected");
  const d = $("#request-detail");
  d.hidden = false;
  d.replaceChildren(
    el("h3", {}, `${r.method} ${r.path} → `, el("span", { class: "s" + String(r.status)[0] }, String(r.status))),
    el("dl", { class: "kv" },
      ...kv("At", when(r.at)), ...kv("Duration", `${Number(r.durationMs).toFixed(1)} ms`),
      ...kv("Tenant", r.tenantId || "—"), ...kv("Mode", r.mode || "—"),
      ...kv("Credential", r.credential ? pretty(r.credential) : "none")),
    el("h4", {}, "Query"), el("pre", {}, pretty(r.query)),
    el("h4", {}, "Request"), el("pre", { class: "request-json" }, pretty(r.request)),
    el("h4", {}, "Response"), el("pre", { class: "response-json" }, pretty(r.response)));
}
const requests = follow(
  (wait, signal) => api("/__mock/requests?" + requestsQuery(wait), { signal }), renderRequests, null);

// ---------------------------------------------------------------- webhooks

async function loadWebhooks() {
  try {
    const body = await api("/__mock/webhooks");
    const items = (body.results || []).slice().reverse();
    $("#webhooks-empty").hidden = items.length > 0;
    $("#webhooks-list").replaceChildren(...items.map((w) => {
      const ok = typeof w.status === "number" && w.status < 300;
      return el("li", { class: "card" },
        el("div", { class: "top" },
          el("span", { class: "badge" }, `${w.body?.model ?? "?"}.${w.body?.action ?? "?"}`),
          el("span", { class: "to" }, w.url || "(no URL set)"),
          el("span", { class: w.status == null ? "meta" : ok ? "s2" : "s5" },
            w.status == null ? (w.error || "not sent") : `HTTP ${w.status}`),
          el("span", { class: "meta" }, when(w.createdAt))),
        el("details", {}, el("summary", {}, "Body and headers"),
          el("pre", {}, pretty({ headers: w.headers, body: w.body, error: w.error }))));
    }));
  } catch (e) { status("Webhooks: " + e.message, true); }
}

// ---------------------------------------------------------------- clock and reset

async function loadClock() {
  try { showNow((await api("/__mock/clock")).now); } catch (e) { status("Clock: " + e.message, true); }
}
async function advance(ev) {
  ev.preventDefault();
  const seconds = Number($("#clock-amount").value) * Number($("#clock-unit").value);
  try {
    const body = await post("/__mock/clock", { advanceSeconds: seconds });
    showNow(body.now);
    status(`Clock advanced to ${when(body.now)}.`);
  } catch (e) { status("Clock: " + e.message, true); }
}
async function setClock(ev) {
  ev.preventDefault();
  try {
    const body = await post("/__mock/clock", { now: $("#clock-date").value.trim() });
    showNow(body.now);
    status(`Clock set to ${when(body.now)}.`);
  } catch (e) { status("Clock: " + e.message, true); }
}
async function reset() {
  try {
    await post("/__mock/reset");
    await loadState();
    status("The mock was reset.");
    outbox.restart();
    requests.restart();
    if (current === "users") loadUsers();
    if (current === "webhooks") loadWebhooks();
  } catch (e) { status("Reset: " + e.message, true); }
}

// ---------------------------------------------------------------- keys, JWKS, token decoder

let jwksCache = null; // [{tenantId, mode, key}]
async function loadJwks() {
  if (!mockState) await loadState();
  const out = [];
  for (const w of mockState.workspaces) {
    for (const mode of ["test", "live"]) {
      const body = await api(`/v0/tenants/${encodeURIComponent(w.tenantId)}/jwks/${mode}`);
      for (const key of body.keys || []) out.push({ tenantId: w.tenantId, mode, key });
    }
  }
  jwksCache = out;
  return out;
}
async function loadKeys() {
  try {
    const state = await loadState();
    const rows = [];
    for (const w of state.workspaces) {
      for (const [mode, m] of Object.entries(w.modes)) {
        for (const [type, key] of Object.entries(m.apiKeys)) {
          rows.push(el("tr", {},
            el("td", {}, w.tenantId), el("td", {}, mode), el("td", {}, type),
            el("td", { class: "key mono" }, key, " ",
              el("button", { type: "button", class: "link", "aria-label": `Copy ${mode} ${type} key of ${w.tenantId}`,
                onclick: (ev) => copy(key, ev.currentTarget) }, "Copy"))));
        }
      }
    }
    $("#keys-table tbody").replaceChildren(...rows);
    const jwks = await loadJwks();
    $("#jwks-list").replaceChildren(...jwks.map((j) =>
      el("details", {}, el("summary", {}, `${j.tenantId} · ${j.mode} · kid ${j.key.kid}`),
        el("pre", {}, pretty(j.key)))));
  } catch (e) { status("Keys: " + e.message, true); }
}
function b64urlBytes(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
const b64urlJson = (s) => JSON.parse(new TextDecoder().decode(b64urlBytes(s)));
async function decode(ev) {
  ev.preventDefault();
  const out = $("#decoder-out");
  const token = $("#decoder-input").value.trim().replace(/^Bearer\s+/i, "");
  const parts = token.split(".");
  if (parts.length !== 3) {
    out.replaceChildren(el("p", { class: "verdict bad" }, "Not a JWT: expected three dot-separated parts."));
    return;
  }
  let header, claims;
  try { header = b64urlJson(parts[0]); claims = b64urlJson(parts[1]); } catch {
    out.replaceChildren(el("p", { class: "verdict bad" }, "Not a JWT: the header or claims are not base64url JSON."));
    return;
  }
  const verdict = await verify(header, parts);
  const times = [];
  for (const k of ["iat", "nbf", "exp"]) {
    if (typeof claims[k] === "number") times.push(...kv(k, when(new Date(claims[k] * 1000).toISOString())));
  }
  if (typeof claims.exp === "number" && mockState) {
    const now = Date.parse((await api("/__mock/clock")).now);
    times.push(...kv("expired (mock time)", claims.exp * 1000 <= now ? "yes" : "no"));
  }
  out.replaceChildren(
    el("p", { class: "verdict " + (verdict.ok ? "good" : "bad"), id: "decoder-verdict" }, verdict.text),
    times.length ? el("dl", { class: "kv" }, times) : "",
    el("h4", {}, "Header"), el("pre", { id: "decoder-header" }, pretty(header)),
    el("h4", {}, "Claims"), el("pre", { id: "decoder-claims" }, pretty(claims)));
}
/** Verifies an RS256 signature in the browser (WebCrypto) against the mock's JWKS. */
async function verify(header, parts) {
  if (header.alg !== "RS256") return { ok: false, text: `Does not verify: alg ${header.alg} (the mock signs RS256 only).` };
  if (!window.crypto || !crypto.subtle) return { ok: false, text: "Cannot verify here: WebCrypto needs a secure context (open the page on localhost or 127.0.0.1)." };
  const keys = jwksCache || (await loadJwks());
  const match = keys.find((k) => k.key.kid === header.kid);
  if (!match) return { ok: false, text: `Does not verify: no key of the mock has kid ${header.kid ?? "(none)"}.` };
  const { kty, n, e } = match.key;
  const key = await crypto.subtle.importKey("jwk", { kty, n, e, alg: "RS256", ext: true },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, b64urlBytes(parts[2]),
    new TextEncoder().encode(parts[0] + "." + parts[1]));
  return ok
    ? { ok: true, text: `Signature verifies against the ${match.mode} key of ${match.tenantId} (kid ${match.key.kid}).` }
    : { ok: false, text: `Does not verify: the signature does not match key ${match.key.kid} of ${match.tenantId} (${match.mode}).` };
}

// ---------------------------------------------------------------- wiring

function debounce(fn, ms) {
  let t;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}
function start() {
  window.addEventListener("hashchange", showTab);
  $("#outbox-filters").addEventListener("submit", (e) => e.preventDefault());
  $("#outbox-to").addEventListener("input", debounce(() => outbox.restart(), 250));
  $("#outbox-type").addEventListener("change", () => outbox.restart());
  $("#users-filters").addEventListener("submit", (e) => { e.preventDefault(); loadUsers(); });
  $("#users-q").addEventListener("input", debounce(loadUsers, 250));
  $("#users-tenant").addEventListener("change", loadUsers);
  $("#users-mode").addEventListener("change", loadUsers);
  $("#requests-filters").addEventListener("submit", (e) => e.preventDefault());
  $("#requests-path").addEventListener("input", debounce(() => requests.restart(), 250));
  $("#requests-method").addEventListener("change", () => requests.restart());
  $("#requests-status").addEventListener("change", () => requests.restart());
  $("#requests-clear").addEventListener("click", async () => {
    try { await api("/__mock/requests", { method: "DELETE" }); requests.restart(); } catch (e) { status(e.message, true); }
  });
  $("#webhooks-refresh").addEventListener("click", loadWebhooks);
  $("#clock-advance").addEventListener("submit", advance);
  $("#clock-set").addEventListener("submit", setClock);
  $("#reset-open").addEventListener("click", () => $("#reset-dialog").showModal());
  $("#reset-dialog").addEventListener("close", () => {
    if ($("#reset-dialog").returnValue === "confirm") reset();
  });
  $("#decoder").addEventListener("submit", decode);
  loadState().catch((e) => status("Cannot read the mock's state: " + e.message, true));
  setInterval(() => loadClock(), 5000);
  showTab();
  outbox.restart();
  requests.restart();
}
start();
