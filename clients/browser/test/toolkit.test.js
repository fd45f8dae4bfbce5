// The official UI components, @userfront/toolkit (its web components, unmodified from npm), in
// Chromium on http://localhost:3000 against the mock: the browser-level counterpart of the
// jsdom suite in clients/js. Sign up with a password, log out, log in, a wrong password shows
// the mock's message in the form, log in with an emailed link taken from the outbox; the
// access-token cookie is set for the page's origin. (The toolkit's labels carry a `for` but its
// inputs no `id`, so fields are found by their `name`.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, eventually, launchBrowser, mockJson, startApp, startMock } from "../support/harness.js";

const APP = "http://localhost:3000";
const EMAIL = "toolkit-user@example.com";
const PASSWORD = "toolkit-pass-1234";
let mock, app, browser, context, page;

before(async () => {
  mock = await startMock();
  app = await startApp(mock.url);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await mock?.stop();
});

const accessCookie = async () =>
  (await context.cookies(APP)).find((c) => c.name === "access.demo1234");

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `toolkit-${name}.png`) });
}

test("sign up with a password: the dashboard, and the access-token cookie on the page's origin", async () => {
  await page.goto(`${APP}/signup`);
  await page.locator("input[name=email]").fill(EMAIL);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.getByRole("button", { name: "Submit" }).click();
  await page.waitForURL(`${APP}/dashboard`);
  await page.locator("#who", { hasText: EMAIL }).waitFor();
  const cookie = await accessCookie();
  assert.ok(cookie, "access.demo1234 cookie set");
  assert.equal(cookie.domain, "localhost");
  const claims = JSON.parse(Buffer.from(cookie.value.split(".")[1], "base64url"));
  assert.equal(claims.tenantId, "demo1234");
  assert.equal(claims.mode, "test");
  // The mock has the user, and the browser's own calls in its journal.
  const users = await mockJson(mock.url, `/__mock/users?tenantId=demo1234&mode=test&q=${EMAIL}`);
  assert.equal(users.totalCount, 1);
  const journal = await mockJson(mock.url, "/__mock/requests?method=POST&path=/v0/tenants/demo1234/auth/create");
  assert.equal(journal.results.at(-1).status, 200);
  assert.match(journal.results.at(-1).request.headers.origin, /^http:\/\/localhost:3000$/);
  await shot("dashboard");
});

test("log out, then log in with the password", async () => {
  await page.getByRole("button", { name: /log ?out/i }).click();
  await page.waitForURL(`${APP}/login`);
  assert.equal(await accessCookie(), undefined, "logging out removes the access token");
  await page.locator("input[name=emailOrUsername]").fill(EMAIL);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.getByRole("button", { name: /log ?in|submit/i }).click();
  await page.waitForURL(`${APP}/dashboard`);
  await page.locator("#who", { hasText: EMAIL }).waitFor();
  assert.ok(await accessCookie());
});

test("a wrong password shows the mock's message in the form", async () => {
  await page.getByRole("button", { name: /log ?out/i }).click();
  await page.waitForURL(`${APP}/login`);
  await page.locator("input[name=emailOrUsername]").fill(EMAIL);
  await page.locator("input[name=password]").fill("wrong-password-999");
  await page.getByRole("button", { name: /log ?in|submit/i }).click();
  await page.getByText("Incorrect email or password").waitFor();
  assert.equal(page.url(), `${APP}/login`);
  assert.equal(await accessCookie(), undefined);
  await shot("wrong-password");
});

test("log in with the emailed link taken from the outbox", async () => {
  // The sign-up above sent this address its welcome email; a second message inside two
  // seconds is a 429 (C-7, duplicates). Move the mock clock past that window, so the test does
  // not depend on how fast the earlier steps ran.
  await mockJson(mock.url, "/__mock/clock", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ advanceSeconds: 3 }),
  });
  await page.goto(`${APP}/login`);
  await page.getByRole("button", { name: /email me a link/i }).click();
  await page.locator("input[name=email]").fill(EMAIL);
  await page.getByRole("button", { name: /email me a link|send|submit/i }).last().click();
  const message = await eventually(async () => {
    const box = await mockJson(mock.url, `/__mock/outbox?to=${encodeURIComponent(EMAIL)}&type=login`);
    return box.results.at(-1);
  }, 10_000, "the login email in the outbox");
  assert.ok(message.link.startsWith(`${APP}/login?`), message.link);
  await page.goto(message.link);
  await page.waitForURL(`${APP}/dashboard`);
  await page.locator("#who", { hasText: EMAIL }).waitFor();
  assert.ok(await accessCookie());
});
