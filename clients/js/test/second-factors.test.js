// Verification codes and TOTP through the official client: sendVerificationCode, signup and
// login with a code, and a tenant that requires a second factor, where the client keeps the
// firstFactorToken, reads the authenticator with getTotp() and finishes with a TOTP code or a
// backup code.

import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";

import {
  ACCESS,
  MOCK_URL,
  PASSWORD,
  TENANT,
  TEST_PAGE,
  assertSignedIn,
  clearCookies,
  cookies,
  mock,
  openPage,
  totpCode,
} from "../support/browser.js";

const Userfront = openPage(TEST_PAGE);

function init() {
  Userfront.init(TENANT, { baseUrl: `${MOCK_URL}/v0/` });
}

beforeEach(async () => {
  assert.equal((await mock("POST", "/__mock/reset")).status, 200);
  clearCookies();
  init();
});

/** Makes an authenticator (TOTP) the tenant's second factor, required of every user. */
async function requireTotp() {
  const set = await mock("PUT", `/__mock/tenants/${TENANT}/settings`, {
    mode: "test",
    isMfaRequired: true,
    authentication: {
      firstFactors: [{ channel: "email", strategy: "password" }],
      secondFactors: [{ channel: "authenticator", strategy: "totp" }],
    },
  });
  assert.equal(set.status, 200);
}

test("an email code logs an existing user in", async () => {
  const sent = await Userfront.sendVerificationCode({ channel: "email", email: "member@example.com" });
  assert.equal(sent.message, "OK");
  const code = sent.result.verificationCode;
  assert.match(code, /^\d{6}$/);
  const outbox = await mock("GET", "/__mock/outbox?to=member@example.com&type=verificationCode");
  assert.equal(outbox.body.results[0].verificationCode, code);

  await assert.rejects(
    Userfront.login({
      method: "verificationCode",
      channel: "email",
      email: "member@example.com",
      verificationCode: code === "000000" ? "111111" : "000000",
    }),
    { message: "Invalid verificationCode" },
  );
  await Userfront.login({
    method: "verificationCode",
    channel: "email",
    email: "member@example.com",
    verificationCode: code,
    redirect: false,
  });
  assertSignedIn(Userfront, "member@example.com");
  assert.equal(Userfront.user.userId, 2);
});

test("signup with an SMS code creates the user with a confirmed number", async () => {
  const sent = await Userfront.signup({
    method: "verificationCode",
    channel: "sms",
    phoneNumber: "+15555550100",
    name: "Texter",
  });
  const code = sent.result.verificationCode;
  assert.equal(sent.result.phoneNumber, "+15555550100");
  await Userfront.login({
    method: "verificationCode",
    channel: "sms",
    phoneNumber: "+15555550100",
    verificationCode: code,
    redirect: false,
  });
  assert.equal(Userfront.user.phoneNumber, "+15555550100");
  assert.equal(Userfront.user.isPhoneNumberConfirmed, true);
  assert.equal(Userfront.user.name, "Texter");
  assert.ok(cookies()[ACCESS]);
});

test("codes are refused by the client or the API with their messages", async () => {
  await assert.rejects(Userfront.sendVerificationCode({ channel: "pigeon", email: "a@b.co" }), {
    message: "Invalid channel",
  });
  await assert.rejects(Userfront.sendVerificationCode({ channel: "email" }), {
    message: 'Email verification code requires "email"',
  });
  await assert.rejects(Userfront.sendVerificationCode({ channel: "sms", phoneNumber: "555-0100" }), {
    message: "Phone number must be in E.164 format.",
  });
});

test("a required TOTP second factor: firstFactorToken, getTotp, then the code", async () => {
  await requireTotp();
  await Userfront.setMode();
  const first = await Userfront.login({
    method: "password",
    email: "admin@example.com",
    password: PASSWORD,
    redirect: false,
  });
  assert.equal(first.message, "OK", "the MFA-required answer says OK (seed 001)");
  assert.match(first.firstFactorToken, /^uf_test_first_factor_/);
  assert.equal(cookies()[ACCESS], undefined, "no tokens before the second factor");
  const session = await Userfront.getSession();
  assert.equal(session.isLoggedIn, false);
  assert.equal(session.needsSecondFactor, true);
  assert.deepEqual(
    session.secondFactors.map((f) => [f.channel, f.strategy, f.isConfiguredByUser]),
    [["authenticator", "totp", false]],
  );

  // The client sends the firstFactorToken to read the authenticator to pair.
  const totp = await Userfront.user.getTotp();
  assert.match(totp.totpSecret, /^[A-Z2-7]{16,}$/);
  assert.match(totp.qrCode, /^data:image\/png;base64,/);
  assert.ok(totp.backupCodes.length > 0);

  await assert.rejects(Userfront.login({ method: "totp", totpCode: "abcdef" }), {
    message: "Invalid TOTP code",
  });
  await Userfront.login({ method: "totp", totpCode: await totpCode(totp.totpSecret), redirect: false });
  assertSignedIn(Userfront, "admin@example.com");
  const access = Userfront.tokens.accessToken;
  const me = await mock("GET", "/v0/self", undefined, { authorization: `Bearer ${access}` });
  assert.equal(me.status, 200);

  // Next time the authenticator is configured; a backup code works once.
  clearCookies();
  init();
  await Userfront.login({ method: "password", email: "admin@example.com", password: PASSWORD, redirect: false });
  const again = await Userfront.getSession();
  assert.deepEqual(
    again.secondFactors.map((f) => f.isConfiguredByUser),
    [true],
  );
  const [backupCode] = totp.backupCodes;
  await Userfront.login({ method: "totp", backupCode, redirect: false });
  assertSignedIn(Userfront, "admin@example.com");

  clearCookies();
  init();
  await Userfront.login({ method: "password", email: "admin@example.com", password: PASSWORD, redirect: false });
  await assert.rejects(Userfront.login({ method: "totp", backupCode }), {
    message: "Invalid backup code",
  });
  assert.equal(cookies()[ACCESS], undefined);
});
