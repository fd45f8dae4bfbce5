// The official client on a page of the demo workspace's live domain (https://app.example.com):
// the mock answers in live mode, a data set separate from test mode, and it no longer hands
// links back in responses (a real email would carry them; the test reads the mock's outbox).

import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";

import {
  ACCESS,
  LIVE_PAGE,
  MOCK_URL,
  PASSWORD,
  REFRESH,
  TENANT,
  assertSignedIn,
  clearCookies,
  cookie,
  cookies,
  linkParams,
  mock,
  openPage,
} from "../support/browser.js";

const Userfront = openPage(LIVE_PAGE);

beforeEach(async () => {
  assert.equal((await mock("POST", "/__mock/reset")).status, 200);
  clearCookies();
  Userfront.init(TENANT, { baseUrl: `${MOCK_URL}/v0/` });
});

test("setMode is live on the live domain", async () => {
  assert.equal(Userfront.mode.value, "live", "an https page off localhost is live before any call");
  const data = await Userfront.setMode();
  assert.equal(data.mode, "live");
  assert.equal(Userfront.mode.value, "live");
  assert.equal(Userfront.mode.reason, "domain");
});

test("live mode has its own users: the seeded test users do not exist there", async () => {
  await assert.rejects(
    Userfront.login({ method: "password", email: "admin@example.com", password: PASSWORD }),
    { message: "Incorrect email or password" },
  );
  assert.equal(cookies()[ACCESS], undefined);
});

test("a live signup sets secure cookies and a live user", async () => {
  const redirects = [];
  await Userfront.signup({
    method: "password",
    email: "live@example.com",
    password: "asdfasdf1",
    handleRedirect: (path) => redirects.push(path),
  });
  assertSignedIn(Userfront, "live@example.com", "live");
  assert.equal(cookie(ACCESS).sameSite, "lax");
  assert.equal(cookie(REFRESH).sameSite, "strict");
  assert.deepEqual(redirects, ["https://app.example.com/dashboard"]);
  const me = await mock("GET", "/v0/self", undefined, {
    authorization: `Bearer ${Userfront.tokens.accessToken}`,
  });
  assert.equal(me.status, 200);
  assert.equal(me.body.mode, "live");
});

test("a live login link comes by email only, and logs the user in", async () => {
  await Userfront.signup({ method: "password", email: "live@example.com", password: "asdfasdf1", redirect: false });
  clearCookies();
  Userfront.init(TENANT, { baseUrl: `${MOCK_URL}/v0/` });
  // The signup mailed the address; a second message within 2 seconds is refused (C-7).
  await mock("POST", "/__mock/clock", { advanceSeconds: 3 });

  const sent = await Userfront.sendLoginLink("live@example.com");
  assert.equal(sent.message, "OK");
  assert.equal(sent.result.link, undefined, "live mode does not return the link");
  assert.equal(sent.result.to, "live@example.com");
  const outbox = await mock("GET", "/__mock/outbox?mode=live&type=login&to=live@example.com");
  assert.equal(outbox.body.results.length, 1);
  const { uuid, token } = linkParams(outbox.body.results[0].link);
  assert.match(outbox.body.results[0].link, /^https:\/\/app\.example\.com\/login\?/);

  await Userfront.login({ method: "link", uuid, token, redirect: false });
  assertSignedIn(Userfront, "live@example.com", "live");
});
