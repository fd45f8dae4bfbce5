// @vitest-environment jsdom
// The official @userfront/core client, in a jsdom page on http://localhost:3000 (test mode),
// against the mock the global setup started: sign-up → the welcome email → its link logs the
// new user in; a login link later logs them in again.
import { beforeEach, expect, inject, test } from "vitest";
import { connectMock } from "userfront-mock";
import Userfront from "@userfront/core";

const mock = connectMock(inject("userfrontMock"));

beforeEach(async () => {
  await mock.reset();
  for (const name of Object.keys(Object.fromEntries(document.cookie.split("; ").map((c) => c.split("="))))) {
    document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
  Userfront.init(mock.tenantId, { baseUrl: mock.baseUrl });
});

test("sign-up, the welcome email's link, then a login link", async () => {
  const email = "new.user@example.com";
  await Userfront.signup({ method: "passwordless", email, name: "New User" });

  const welcome = await mock.outbox.waitFor({ to: email, type: "welcome", timeoutMs: 5_000 });
  expect(welcome.link).toMatch(/^http:\/\/localhost:3000\//);
  expect(welcome.link).toContain(welcome.token);
  expect(welcome.message.to).toBe(email);

  await Userfront.login({ method: "link", uuid: welcome.uuid, token: welcome.token, redirect: false });
  expect(Userfront.user.email).toBe(email);
  expect(Userfront.user.name).toBe("New User");
  expect(Userfront.user.isEmailConfirmed).toBe(true);
  expect(document.cookie).toContain(`access.${mock.tenantId}=`);

  // The link works once.
  await expect(
    Userfront.login({ method: "link", uuid: welcome.uuid, token: welcome.token, redirect: false }),
  ).rejects.toThrow("Invalid token");

  // A second email to the same address this soon is rate-limited, as by Userfront: exempt the user.
  await mock.call("POST", "/__mock/rate-limit/opt-out", {
    tenantId: mock.tenantId,
    mode: "test",
    userId: Userfront.user.userId,
  });
  await Userfront.logout({ redirect: false });
  expect(Userfront.user.email).toBeUndefined();
  await mock.outbox.clear();
  await Userfront.sendLoginLink(email);
  const login = await mock.outbox.waitFor({ to: email, type: "login", timeoutMs: 5_000 });
  await Userfront.login({ method: "link", uuid: login.uuid, token: login.token, redirect: false });
  expect(Userfront.user.email).toBe(email);
});

test("password login of a seeded user, and waitFor's timeout names what it waited for", async () => {
  await Userfront.login({ method: "password", email: "admin@example.com", password: "testmodepassword", redirect: false });
  expect(Userfront.user.userId).toBe(1);
  await expect(mock.outbox.waitFor({ to: "nobody@example.com", timeoutMs: 200 })).rejects.toThrow(
    /no message matching \{"to":"nobody@example.com"\} within 200 ms/,
  );
});
