// The mock's own web page (/__mock/) in Chromium: a user signed up through the API appears in
// the Outbox without a reload, its link opens the app and signs in, the request shows in
// Requests, the Users, Keys and tokens sections read the mock, the clock moves, reset asks
// first; screenshots at 1440 and 375 px go to target/browser-artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, eventually, launchBrowser, mockJson, startApp, startMock } from "../support/harness.js";

const EMAIL = "ui-user@example.com";
let mock, app, browser, context, page, signup;
const problems = [];
const pageRequests = [];

before(async () => {
  mock = await startMock();
  app = await startApp(mock.url);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  // A CSP violation or an uncaught error on the page fails the run.
  page.on("request", (r) => pageRequests.push(r.url()));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await mock?.stop();
});

const tab = (name) => page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name });

test("the page is served with a strict CSP and / points browsers to it", async () => {
  const resp = await page.goto(`${mock.url}/`);
  assert.equal(resp.status(), 200);
  await page.getByRole("link", { name: /open the mock's web page/i }).click();
  await page.waitForURL(`${mock.url}/__mock/`);
  const csp = (await page.request.get(`${mock.url}/__mock/`)).headers()["content-security-policy"];
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.getByRole("heading", { name: "Outbox" }).waitFor();
  await page.getByText("No messages yet").waitFor();
});

test("a user signed up through the API appears in the Outbox without a reload", async () => {
  await page.evaluate(() => { window.__sameDocument = true; });
  // The empty outbox is long-polled: the page is waiting for the first message.
  await eventually(() => pageRequests.some((u) => u.includes("/__mock/outbox?wait=25s")), 5_000, "a long-poll");
  signup = await mockJson(mock.url, "/v0/tenants/demo1234/auth/create", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: "ui-password-1234" }),
  });
  const card = page.locator(`#outbox-list li[data-type="welcome"][data-to="${EMAIL}"]`);
  await card.waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
  assert.match(await card.innerText(), /demo1234 · test/);
  // Filters: another address hides it, the right type keeps it.
  await page.getByLabel("Address").fill("nobody@example.com");
  await eventually(async () => (await card.count()) === 0, 5_000, "the address filter");
  await page.getByLabel("Address").fill(EMAIL);
  await page.getByLabel("Type").selectOption("welcome");
  await card.waitFor();
  await page.screenshot({ path: join(artifacts, "ui-outbox-1440.png") });
});

test("its link opens the app, which signs in with it; the request shows in Requests", async () => {
  const [app] = await Promise.all([
    context.waitForEvent("page"),
    page.locator(`#outbox-list li[data-to="${EMAIL}"]`).getByRole("link", { name: /open link/i }).click(),
  ]);
  await app.waitForURL("http://localhost:3000/dashboard", { timeout: 15_000 });
  await app.close();
  await tab("Requests").click();
  await page.getByLabel("Path starts with").fill("/v0/tenants/demo1234/auth/link");
  const row = page.locator('#requests-table tbody tr[data-path="/v0/tenants/demo1234/auth/link"]').filter({ hasText: "PUT" });
  await row.first().waitFor({ timeout: 10_000 });
  assert.match(await row.first().innerText(), /200/);
  await row.first().getByRole("button", { name: /show/i }).click();
  const request = await page.locator("#request-detail .request-json").innerText();
  assert.match(request, /"token": "\[redacted\]"/, "the link token is redacted");
  assert.match(await page.locator("#request-detail .response-json").innerText(), /"tokens"/);
  await page.screenshot({ path: join(artifacts, "ui-requests-1440.png") });
});

test("Users lists the pool with a read-only detail", async () => {
  await tab("Users").click();
  await page.getByLabel("Search").fill("ui-user");
  const row = page.locator("#users-table tbody tr", { hasText: EMAIL });
  await row.waitFor();
  await eventually(async () => (await page.locator("#users-table tbody tr").count()) === 1, 5_000, "the search");
  await row.getByRole("button", { name: /show/i }).click();
  const detail = await page.locator("#user-detail").innerText();
  assert.match(detail, /TOTP\s+off/);
  assert.match(detail, /Sessions \(2\)/, "the sign-up's and the link's sessions");
  assert.match(detail, /Email confirmed\s+yes/, "the welcome link confirmed the address");
});

test("the token decoder verifies the mock's tokens against its JWKS in the browser", async () => {
  await tab("Keys & tokens").click();
  await page.locator("#keys-table tbody tr", { hasText: "uf_test_admin_demo1234_" }).first().waitFor();
  const access = signup.tokens.access.value;
  await page.getByLabel("JWT").fill(access);
  await page.getByRole("button", { name: "Decode and verify" }).click();
  await page.locator("#decoder-verdict", { hasText: "Signature verifies" }).waitFor();
  assert.match(await page.locator("#decoder-claims").innerText(), /"tenantId": "demo1234"/);
  // One changed claim: the signature no longer matches.
  const [h, c, s] = access.split(".");
  const claims = JSON.parse(Buffer.from(c, "base64url"));
  claims.userId = 1;
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
  await page.getByLabel("JWT").fill(forged);
  await page.getByRole("button", { name: "Decode and verify" }).click();
  await page.locator("#decoder-verdict", { hasText: "Does not verify" }).waitFor();
});

test("the clock advances and is set; reset asks first", async () => {
  await tab("Clock & reset").click();
  const before = Date.parse((await mockJson(mock.url, "/__mock/clock")).now);
  await page.getByLabel("Advance by").fill("2");
  await page.getByLabel("Unit").selectOption({ label: "hours" });
  await page.getByRole("button", { name: "Advance" }).click();
  await page.getByRole("status").filter({ hasText: "Clock advanced" }).waitFor();
  const after = Date.parse((await mockJson(mock.url, "/__mock/clock")).now);
  assert.ok(after - before >= 2 * 3600_000 && after - before < 2 * 3600_000 + 60_000, `${after - before} ms`);
  await page.getByLabel("Set to").fill("2030-01-01T00:00:00Z");
  await page.getByRole("button", { name: "Set", exact: true }).click();
  await page.locator("#clock-now", { hasText: "2030-01-01 00:00:00 UTC" }).waitFor();

  // Cancel keeps everything.
  await page.getByRole("button", { name: "Reset the mock…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  const users = () => mockJson(mock.url, "/__mock/users?tenantId=demo1234&mode=test");
  assert.equal((await users()).totalCount, 5);
  // Confirm resets: the seed's four users, real time, an empty outbox on the page.
  await page.getByRole("button", { name: "Reset the mock…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Reset", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "The mock was reset" }).waitFor();
  assert.equal((await users()).totalCount, 4);
  assert.ok(Math.abs(Date.parse((await mockJson(mock.url, "/__mock/clock")).now) - Date.now()) < 60_000);
  await tab("Outbox").click();
  await page.getByText("No messages yet").waitFor();
});

test("usable at 375 px: no sideways scrolling, sections reachable", async () => {
  // Something to show in the screenshots.
  await mockJson(mock.url, "/v0/tenants/demo1234/auth/link", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "member@example.com" }),
  });
  await mockJson(mock.url, "/v0/tenants/demo1234/auth/code", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ channel: "email", email: "viewer@example.com" }),
  });
  await page.getByLabel("Address").fill("");
  await page.getByLabel("Type").selectOption("");
  await page.locator('#outbox-list li[data-to="member@example.com"]').waitFor();
  const code = page.locator('#outbox-list li[data-to="viewer@example.com"]');
  await code.getByRole("button", { name: /copy code \d{6}/i }).waitFor();
  // Newest first.
  assert.equal(await page.locator("#outbox-list li").first().getAttribute("data-to"), "viewer@example.com");
  await page.screenshot({ path: join(artifacts, "ui-1440.png") });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: join(artifacts, "ui-375.png"), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `page is ${width}px wide at 375`);
  await tab("Requests").click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  const width2 = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width2 <= 375, `Requests is ${width2}px wide at 375`);
  await page.screenshot({ path: join(artifacts, "ui-requests-375.png"), fullPage: true });
  // Keyboard: on a fresh load the skip link is the first stop.
  await page.reload();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  assert.deepEqual(problems, []);
});
