// The official @userfront/core client, unmodified, driven end to end against userfront-mock in
// a jsdom page at http://localhost:3000. Each test starts from the seed data (POST /__mock/reset)
// and an empty cookie jar, calls the library's public methods as an app would, and checks what
// the library itself reports: cookies, Userfront.user, Userfront.tokens, the errors it throws.

import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";

import {
  ACCESS,
  ID,
  MOCK_URL,
  REFRESH,
  PASSWORD,
  TENANT,
  TEST_PAGE,
  assertSignedIn,
  assertSignedOut,
  claims,
  clearCookies,
  cookies,
  linkParams,
  mock,
  navigations,
  openPage,
} from "../support/browser.js";

const Userfront = openPage(TEST_PAGE);


/** Redirects the library asked for, instead of navigating the page. */
let redirects = [];
const handleRedirect = (path) => {
  redirects.push(path);
};

function init(options = {}) {
  Userfront.init(TENANT, { baseUrl: `${MOCK_URL}/v0/`, ...options });
}

beforeEach(async () => {
  const reset = await mock("POST", "/__mock/reset");
  assert.equal(reset.status, 200);
  clearCookies();
  redirects = [];
  init();
});

/** Signs in a seeded user through the library, as the app's login form would. */
async function loginAs(email, password = PASSWORD) {
  return Userfront.login({ method: "password", email, password, handleRedirect });
}

/** The mock's answer to GET /v0/self with a token, checked by the test itself. */
async function self(token) {
  return mock("GET", "/v0/self", undefined, { authorization: `Bearer ${token}` });
}

test("setMode reads the mode and the first factors of the tenant", async () => {
  assert.equal(Userfront.mode.value, "test", "localhost is test mode before any call");
  const data = await Userfront.setMode();
  assert.equal(data.mode, "test");
  assert.equal(Userfront.mode.value, "test");
  assert.equal(Userfront.mode.reason, "http");
  assert.deepEqual(data.authentication.firstFactors, [
    { channel: "email", strategy: "password" },
    { channel: "email", strategy: "link" },
  ]);
  const session = await Userfront.getSession();
  assert.deepEqual(session.firstFactors, data.authentication.firstFactors);
  assert.equal(session.isLoggedIn, false);
});

test("signup with a password sets the cookies and the user", async () => {
  const data = await Userfront.signup({
    method: "password",
    email: "New.Person@example.com",
    name: "New Person",
    username: "new-person",
    password: "asdfasdf1",
    data: { plan: "pro" },
    handleRedirect,
  });
  assert.equal(data.message, "OK");
  assertSignedIn(Userfront, "new.person@example.com");
  assert.equal(Userfront.user.name, "New Person");
  assert.equal(Userfront.user.username, "new-person");
  assert.deepEqual(Userfront.user.data, { plan: "pro" });
  assert.equal(Userfront.user.isEmailConfirmed, false);
  assert.ok(Userfront.user.userId > 4, "a new user id");
  assert.match(Userfront.user.userUuid, /^[0-9a-f-]{36}$/);
  assert.deepEqual(redirects, [data.redirectTo]);
  const me = await self(Userfront.tokens.accessToken);
  assert.equal(me.status, 200);
  assert.equal(me.body.email, "new.person@example.com");
});

test("signup refuses what the API refuses, with the API's message", async () => {
  await assert.rejects(
    Userfront.signup({ method: "password", email: "admin@example.com", password: "asdfasdf1" }),
    { message: "Email exists" },
  );
  await assert.rejects(
    Userfront.signup({ method: "password", email: "weak@example.com", password: "short" }),
    {
      message:
        "Password must be at least 16 characters OR at least 8 characters including a number and a letter",
    },
  );
  await assert.rejects(
    Userfront.signup({ method: "password", email: "not-an-email", password: "asdfasdf1" }),
    { message: "Email format is invalid" },
  );
  await assert.rejects(Userfront.signup({}), {
    message: 'Userfront.signup called without "method" property.',
  });
  assert.equal(cookies()[ACCESS], undefined, "no cookie after a refused signup");
});

test("passwordless signup sends a welcome link that logs the new user in once", async () => {
  const sent = await Userfront.signup({
    method: "passwordless",
    email: "linked@example.com",
    name: "Linked",
  });
  assert.equal(sent.message, "OK");
  const { uuid, token } = linkParams(sent.result.link);
  const outbox = await mock("GET", "/__mock/outbox?to=linked@example.com");
  assert.equal(outbox.body.results.length, 1);
  assert.equal(outbox.body.results[0].type, "welcome");
  assert.equal(outbox.body.results[0].token, token);

  await Userfront.login({ method: "link", uuid, token, handleRedirect });
  assertSignedIn(Userfront, "linked@example.com");
  assert.equal(Userfront.user.name, "Linked");
  assert.equal(Userfront.user.isEmailConfirmed, true, "using the link confirms the address");

  await assert.rejects(Userfront.login({ method: "link", uuid, token }), {
    message: "Invalid token",
  });
});

test("login with a password, and its refusals", async () => {
  const data = await Userfront.login({
    method: "password",
    emailOrUsername: "admin",
    password: PASSWORD,
    handleRedirect,
  });
  assertSignedIn(Userfront, "admin@example.com");
  assert.equal(Userfront.user.userId, 1);
  assert.equal(Userfront.user.hasRole("admin"), true);
  assert.equal(Userfront.user.hasRole("owner"), false);
  assert.deepEqual(redirects, ["http://localhost:3000/dashboard"]);
  assert.equal(data.redirectTo, "http://localhost:3000/dashboard");

  clearCookies();
  init();
  await assert.rejects(loginAs("admin@example.com", "wrong-password-1"), {
    message: "Incorrect email or password",
  });
  await assert.rejects(loginAs("nobody@example.com"), { message: "Incorrect email or password" });
  await assert.rejects(Userfront.login({ method: "carrier-pigeon" }), {
    message: 'Userfront.login called with invalid "method" property.',
  });
  assert.equal(cookies()[ACCESS], undefined);
});

test("login with redirect: false does not redirect", async () => {
  await Userfront.login({
    method: "password",
    email: "member@example.com",
    password: PASSWORD,
    redirect: false,
    handleRedirect,
  });
  assertSignedIn(Userfront, "member@example.com");
  assert.deepEqual(redirects, []);
});

test("sendLoginLink sends a link the user logs in with", async () => {
  const sent = await Userfront.sendLoginLink("member@example.com");
  assert.equal(sent.message, "OK");
  assert.match(sent.result.link, /^http:\/\/localhost:3000\/login\?/);
  const { uuid, token } = linkParams(sent.result.link);
  await Userfront.login({ method: "link", uuid, token, handleRedirect });
  assertSignedIn(Userfront, "member@example.com");
  assert.equal(Userfront.user.userId, 2);
  await assert.rejects(
    Userfront.login({ method: "link", uuid, token: "00000000-0000-4000-8000-000000000000" }),
    { message: "Invalid token" },
  );
});

test("sendResetLink and updatePassword with the link credentials", async () => {
  const sent = await Userfront.sendResetLink("viewer@example.com");
  assert.equal(sent.message, "OK");
  const { uuid, token } = linkParams(sent.result.link);
  assert.match(sent.result.link, /^http:\/\/localhost:3000\/reset\?/);

  await assert.rejects(
    Userfront.updatePassword({ method: "link", uuid, token, password: "short" }),
    { message: /^Password must be at least 16 characters/ },
  );
  await Userfront.updatePassword({
    method: "link",
    uuid,
    token,
    password: "brand-new-secret-1",
    handleRedirect,
  });
  assertSignedIn(Userfront, "viewer@example.com");
  await assert.rejects(
    Userfront.updatePassword({ method: "link", uuid, token, password: "another-secret-2" }),
    { message: "Invalid token" },
  );

  clearCookies();
  init();
  await assert.rejects(loginAs("viewer@example.com"), { message: "Incorrect email or password" });
  await loginAs("viewer@example.com", "brand-new-secret-1");
  assertSignedIn(Userfront, "viewer@example.com");
});

test("updatePassword with the access token", async () => {
  await assert.rejects(
    Userfront.updatePassword({ method: "jwt", password: "brand-new-secret-1" }),
    { message: 'updatePassword({ method: "jwt" }) was called without a JWT access token.' },
  );
  await loginAs("member@example.com");
  await assert.rejects(
    Userfront.updatePassword({
      method: "jwt",
      password: "brand-new-secret-1",
      existingPassword: "not-the-password-1",
    }),
    { message: "Incorrect password" },
  );
  const data = await Userfront.updatePassword({
    method: "jwt",
    password: "brand-new-secret-1",
    existingPassword: PASSWORD,
  });
  assert.equal(data.message, "OK");

  clearCookies();
  init();
  await assert.rejects(loginAs("member@example.com"), { message: "Incorrect email or password" });
  await loginAs("member@example.com", "brand-new-secret-1");
  assertSignedIn(Userfront, "member@example.com");
});

test("updatePassword for a user without a password sends a reset link (seeds 000, 001)", async () => {
  const sent = await Userfront.signup({ method: "passwordless", email: "nopass@example.com" });
  const welcome = linkParams(sent.result.link);
  await Userfront.login({ method: "link", ...welcome, handleRedirect });
  assertSignedIn(Userfront, "nopass@example.com");
  // Past the two-second duplicate window of the welcome email.
  await mock("POST", "/__mock/clock", { advanceSeconds: 3 });
  const data = await Userfront.updatePassword({
    method: "jwt",
    password: "ignored-secret-1",
    existingPassword: "ignored-too",
  });
  assert.equal(data.message, "OK");
  assert.match(data.result.link, /^http:\/\/localhost:3000\/reset\?/);
  const outbox = await mock("GET", "/__mock/outbox?to=nopass@example.com&type=reset");
  assert.equal(outbox.body.results.length, 1);

  const { uuid, token } = linkParams(data.result.link);
  await Userfront.updatePassword({
    method: "link",
    uuid,
    token,
    password: "chosen-secret-1",
    handleRedirect,
  });
  clearCookies();
  init();
  await assert.rejects(loginAs("nopass@example.com", "ignored-secret-1"), {
    message: "Incorrect email or password",
  });
  await loginAs("nopass@example.com", "chosen-secret-1");
  assertSignedIn(Userfront, "nopass@example.com");
});

test("user.update changes the user and refreshes the tokens", async () => {
  await loginAs("member@example.com");
  const before = Userfront.tokens.idToken;
  // A second later on the mock clock, so the refreshed tokens differ from the first ones.
  await mock("POST", "/__mock/clock", { advanceSeconds: 2 });
  const user = await Userfront.user.update({ name: "Renamed Member", data: { theme: "dark" } });
  assert.equal(user.name, "Renamed Member");
  assert.deepEqual(user.data, { theme: "dark" });
  assert.equal(Userfront.user.name, "Renamed Member");
  assert.notEqual(Userfront.tokens.idToken, before, "the ID token was re-issued");
  assert.equal(claims(cookies()[ID]).name, "Renamed Member");
  const me = await self(Userfront.tokens.accessToken);
  assert.equal(me.body.name, "Renamed Member");
  assert.deepEqual(me.body.data, { theme: "dark" });
});

test("tokens.refresh replaces the access and ID tokens", async () => {
  await loginAs("admin@example.com");
  const first = claims(Userfront.tokens.accessToken);
  await mock("POST", "/__mock/clock", { advanceSeconds: 5 });
  await Userfront.tokens.refresh();
  const second = claims(cookies()[ACCESS]);
  assert.ok(second.iat > first.iat, "a newer access token");
  assert.equal(second.sessionId, first.sessionId, "in the same session");
  assert.equal(Userfront.tokens.accessToken, cookies()[ACCESS]);
  assert.equal((await self(Userfront.tokens.accessToken)).status, 200);
});

test("getSession refreshes a missing access token with the refresh token", async () => {
  await loginAs("admin@example.com");
  document.cookie = `${ACCESS}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  init();
  assert.equal(Userfront.tokens.accessToken, undefined);
  const session = await Userfront.getSession();
  assert.equal(session.isLoggedIn, true);
  assert.equal(session.needsSecondFactor, false);
  assert.ok(cookies()[ACCESS], "the access cookie is back");
  assert.equal((await self(cookies()[ACCESS])).status, 200);
});

test("logout ends the session and clears the cookies", async () => {
  await loginAs("admin@example.com");
  const access = Userfront.tokens.accessToken;
  const refresh = Userfront.tokens.refreshToken;
  await Userfront.logout({ redirect: false });
  assertSignedOut(Userfront);
  assert.equal((await self(access)).status, 401, "the old access token no longer works");

  // The ended session cannot be refreshed: the library reports it as signed out.
  document.cookie = `${REFRESH}=${refresh}; path=/`;
  init();
  await Userfront.tokens.refresh();
  assert.equal(cookies()[ACCESS], undefined);
  assert.equal((await Userfront.getSession()).isLoggedIn, false);
});

test("redirectIfLoggedIn sends a signed-in user to the After-login path", async () => {
  await loginAs("admin@example.com");
  // No redirect option and none in the URL: the library reads `tenant.loginRedirectPath` from
  // GET /v0/self, and navigates there only if the mock returned it.
  const before = navigations.count;
  await Userfront.redirectIfLoggedIn();
  assert.equal(navigations.count, before + 1, "the page was sent to the After-login path");
  assertSignedIn(Userfront, "admin@example.com");

  clearCookies();
  init();
  await Userfront.redirectIfLoggedIn();
  assert.equal(navigations.count, before + 1, "a signed-out visitor stays");
  assertSignedOut(Userfront);
});
