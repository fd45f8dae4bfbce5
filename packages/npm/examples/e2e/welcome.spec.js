// The Playwright fixture: `mock` is a userfront-mock of this worker, reset before the test.
import { expect, test } from "userfront-mock/playwright";

test("sign-up through the API, the welcome link logs the new user in", async ({ mock, request }) => {
  const email = "playwright@example.com";
  const signup = await request.post(`${mock.baseUrl}tenants/${mock.tenantId}/auth/create`, {
    data: { email, password: "asdfasdf1", name: "Play Wright" },
  });
  expect(signup.status()).toBe(200);

  const { uuid, token, link } = await mock.outbox.waitFor({ to: email, type: "welcome", timeoutMs: 5_000 });
  expect(link).toContain(uuid);
  const login = await request.put(`${mock.baseUrl}tenants/${mock.tenantId}/auth/link`, { data: { uuid, token } });
  expect(login.status()).toBe(200);
  const body = await login.json();
  expect(body.tokens.access.value.split(".")).toHaveLength(3);

  const journal = await mock.requests({ method: "PUT", path: `/v0/tenants/${mock.tenantId}/auth/link` });
  expect(journal.map((e) => e.status)).toEqual([200]);
});

test("each test starts from the seed data", async ({ mock }) => {
  expect(await mock.outbox.list({ to: "playwright@example.com" })).toEqual([]);
});
