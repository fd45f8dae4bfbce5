// A browser for the official client: jsdom's window, document, cookies and XMLHttpRequest, so
// that @userfront/core runs exactly as it does in a page. Its HTTP calls go through jsdom's
// XMLHttpRequest, which applies the browser's CORS rules (preflights included), and its tokens
// land in jsdom's cookie jar, where the test reads them back.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { JSDOM, VirtualConsole } from "jsdom";

/** The mock's base URL, given by the Rust test (mock-server/tests/js_client.rs). */
export const MOCK_URL = (process.env.USERFRONT_MOCK_URL || "").replace(/\/+$/, "");
if (!MOCK_URL) {
  throw new Error(
    "USERFRONT_MOCK_URL is not set: run this through `cargo test -p userfront-mock --test js_client` " +
      "(or scripts/test), or start `userfront-mock` and export USERFRONT_MOCK_URL=http://127.0.0.1:4780",
  );
}

/** The demo workspace of the mock's seed data. */
export const TENANT = "demo1234";
/** The password of the seeded test users. */
export const PASSWORD = "testmodepassword";

/** A development page: localhost, which the mock (and the client) treat as test mode. */
export const TEST_PAGE = "http://localhost:3000/login";
/** A page on the demo workspace's live domain (`example.com` and its subdomains). */
export const LIVE_PAGE = "https://app.example.com/login";

let window;
let jar;

/**
 * How many times the library tried to navigate the page (`window.location.assign`). jsdom
 * cannot navigate, and reports each attempt as "Not implemented: navigation"; counting them
 * shows that a redirect happened without letting the message clutter the test output.
 */
export const navigations = { count: 0 };

/**
 * Opens a page at `pageUrl` and loads the official client, unmodified, into it. Call once per
 * test file, before anything else touches the client.
 *
 * The globals a bundler would give the library in a browser must exist before it is loaded:
 * its CommonJS build bundles its own axios, which picks its XMLHttpRequest adapter when loaded.
 * That bundled axios also keeps headers set by `init({ domain })` for the rest of the process,
 * so pages of different origins go in different files (node --test runs each file in its own
 * process).
 */
export function openPage(pageUrl) {
  if (window) throw new Error("openPage() was already called in this process");
  const virtualConsole = new VirtualConsole();
  virtualConsole.on("jsdomError", (error) => {
    if (String(error.message).startsWith("Not implemented: navigation")) {
      navigations.count += 1;
    } else {
      console.error(error);
    }
  });
  const dom = new JSDOM("<!doctype html><html><body></body></html>", {
    url: pageUrl,
    pretendToBeVisual: true,
    virtualConsole,
  });
  ({ window } = dom);
  jar = dom.cookieJar;
  for (const name of ["window", "document", "location", "history", "localStorage", "XMLHttpRequest"]) {
    Object.defineProperty(globalThis, name, {
      value: name === "window" ? window : window[name],
      configurable: true,
      writable: true,
    });
  }
  return createRequire(import.meta.url)("@userfront/core");
}

/** The page's cookies as an object. */
export function cookies() {
  const out = {};
  for (const pair of window.document.cookie.split(";")) {
    const at = pair.indexOf("=");
    if (at > 0) out[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return out;
}

/** The attributes of a cookie of the page (`secure`, `sameSite`, `expires`, ...). */
export function cookie(name) {
  return jar.getCookiesSync(window.location.href).find((c) => c.key === name);
}

/** Forgets every cookie of the page. */
export function clearCookies() {
  for (const name of Object.keys(cookies())) {
    window.document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
}

/** The claims of a JWT, without verifying it (the mock's JWKS is checked by the Rust tests). */
export function claims(token) {
  const part = token.split(".")[1];
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/**
 * A call to the mock made by the test itself (control surface, admin API), not by the page:
 * Node's fetch, outside the browser's CORS rules.
 */
export async function mock(method, path, body, headers = {}) {
  const res = await fetch(`${MOCK_URL}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The query parameters of a link the mock sent (test mode returns it in the response). */
export function linkParams(link) {
  const url = new URL(link);
  return { uuid: url.searchParams.get("uuid"), token: url.searchParams.get("token") };
}

/** The three token cookies the client sets for the demo workspace. */
export const ACCESS = `access.${TENANT}`;
export const ID = `id.${TENANT}`;
export const REFRESH = `refresh.${TENANT}`;

/** Asserts what the client reports after a sign-on of `email`: cookies, tokens, user. */
export function assertSignedIn(Userfront, email, mode = "test") {
  const jar = cookies();
  for (const name of [ACCESS, ID, REFRESH]) {
    assert.ok(jar[name], `cookie ${name} is set`);
  }
  assert.equal(Userfront.tokens.accessToken, jar[ACCESS]);
  assert.equal(Userfront.tokens.idToken, jar[ID]);
  assert.equal(Userfront.tokens.refreshToken, jar[REFRESH]);
  assert.equal(Userfront.user.email, email);
  assert.equal(Userfront.user.tenantId, TENANT);
  assert.equal(Userfront.user.mode, mode);
  const access = claims(jar[ACCESS]);
  assert.equal(access.tenantId, TENANT);
  assert.equal(access.mode, mode);
  assert.equal(access.userId, Userfront.user.userId);
  assert.equal(claims(jar[REFRESH]).type, "refresh");
  assert.equal(cookie(ACCESS).secure, mode === "live", "Secure in live mode only");
}

/** Asserts that the client holds no tokens and no user. */
export function assertSignedOut(Userfront) {
  const jar = cookies();
  for (const name of [ACCESS, ID, REFRESH]) {
    assert.equal(jar[name], undefined, `cookie ${name} is gone`);
  }
  assert.equal(Userfront.tokens.accessToken, undefined);
  assert.equal(Userfront.user.email, undefined);
}

/**
 * The current code of a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30-second steps) for a
 * Base32 secret, at the mock's time, as an authenticator app shows it.
 */
export async function totpCode(secret) {
  const { body } = await mock("GET", "/__mock/clock");
  const step = Math.floor(Date.parse(body.now) / 30_000);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, "0");
}
