// CORS and the control surface as Chromium enforces them. A page on another origin
// (http://evil.test:3001; Chromium resolves the name to 127.0.0.1) may call the Userfront API as
// the real service allows, with credentials, and read the answers; it can neither reset the
// mock nor read /__mock/state, whatever kind of request it makes. The mock's own page (same
// origin) uses the control surface freely: ui.test.js.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, mockJson, startApp, startMock } from "../support/harness.js";

let mock, site, browser, page;

before(async () => {
  mock = await startMock();
  site = await startApp(mock.url, { port: 3001 });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto("http://evil.test:3001/cross");
  assert.equal(await page.evaluate(() => location.origin), "http://evil.test:3001");
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await mock?.stop();
});

/** Runs fetch in the page; `{status, body}` when the page may read the answer, else `{blocked}`. */
const pageFetch = (url, init) =>
  page.evaluate(async ([url, init]) => {
    try {
      const resp = await fetch(url, init);
      if (resp.type === "opaque") return { opaque: true };
      return { status: resp.status, body: await resp.text() };
    } catch (e) {
      return { blocked: String(e) };
    }
  }, [url, init]);

test("the page may call the Userfront API with credentials and read the answer", async () => {
  const login = await pageFetch(`${mock.url}/v0/tenants/demo1234/auth/basic`, {
    method: "POST",
    credentials: "include",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ emailOrUsername: "admin", password: "testmodepassword" }),
  });
  assert.equal(login.status, 200, JSON.stringify(login));
  const body = JSON.parse(login.body);
  assert.equal(body.mode, "test");
  assert.ok(body.tokens.access.value);
  const self = await pageFetch(`${mock.url}/v0/self`, {
    headers: { authorization: `Bearer ${body.tokens.access.value}` },
  });
  assert.equal(self.status, 200);
  assert.equal(JSON.parse(self.body).email, "admin@example.com");
});

test("the page cannot read /__mock/state", async () => {
  const state = await pageFetch(`${mock.url}/__mock/state`);
  assert.ok(state.blocked, `readable: ${JSON.stringify(state).slice(0, 200)}`);
  const outbox = await pageFetch(`${mock.url}/__mock/outbox`, { credentials: "include" });
  assert.ok(outbox.blocked);
});

test("the page cannot reset the mock, with or without a preflight", async () => {
  // Something a reset would remove.
  await mockJson(mock.url, "/v0/tenants/demo1234/auth/create", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "kept@example.com", password: "kept-password-1234" }),
  });
  await mockJson(mock.url, "/__mock/clock", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ now: "2031-05-05T00:00:00Z" }),
  });
  // A simple request (no preflight): sent, refused by the guard, unreadable.
  const simple = await pageFetch(`${mock.url}/__mock/reset`, { method: "POST" });
  assert.ok(simple.blocked);
  // no-cors: sent blind, refused all the same.
  const blind = await pageFetch(`${mock.url}/__mock/reset`, { method: "POST", mode: "no-cors" });
  assert.ok(blind.opaque || blind.blocked);
  // A form post (navigation) from the page.
  await page.evaluate((url) => {
    const f = document.createElement("form");
    f.method = "POST";
    f.action = url;
    document.body.append(f);
    f.submit();
  }, `${mock.url}/__mock/reset`);
  await page.waitForURL(`${mock.url}/__mock/reset`);
  assert.match(await page.locator("body").innerText(), /control surface answers only local pages/);
  await page.goto("http://evil.test:3001/cross");
  // With a JSON body: the preflight is refused, so the browser never sends it.
  const preflighted = await pageFetch(`${mock.url}/__mock/clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ now: "1999-01-01T00:00:00Z" }),
  });
  assert.ok(preflighted.blocked);

  const users = await mockJson(mock.url, "/__mock/users?tenantId=demo1234&mode=test&q=kept@example.com");
  assert.equal(users.totalCount, 1, "the user is still there: nothing was reset");
  const now = Date.parse((await mockJson(mock.url, "/__mock/clock")).now);
  const set = Date.parse("2031-05-05T00:00:00Z");
  assert.ok(now >= set && now - set < 60_000, "the clock runs on from where Node set it");
});
