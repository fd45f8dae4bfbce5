// The kit's control helpers against the mock of the global setup: clock, reset, journal, keys.
import { expect, inject, test } from "vitest";
import { connectMock, parseDuration, MockError } from "userfront-mock";

const mock = connectMock(inject("userfrontMock"));

test("the global setup provides the url, tenant and keys, and exports them to the environment", () => {
  expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(mock.baseUrl).toBe(`${mock.url}/v0/`);
  expect(mock.tenantId).toBe("demo1234");
  expect(mock.keys.test.admin).toMatch(/^uf_test_admin_demo1234_/);
  expect(mock.keys.live.readonly).toMatch(/^uf_live_readonly_demo1234_/);
  expect(connectMock().url).toBe(mock.url);
});

test("clock: set, advance, now; reset brings real time back", async () => {
  await mock.reset();
  // Mock time runs on from where it is set, as real time does: compare within a few seconds.
  const near = (date, iso) => expect(Math.abs(date.getTime() - Date.parse(iso))).toBeLessThan(5_000);
  near(await mock.clock.set("2030-01-01T00:00:00Z"), "2030-01-01T00:00:00Z");
  near(await mock.clock.advance("2h"), "2030-01-01T02:00:00Z");
  near(await mock.clock.advance("1h30m"), "2030-01-01T03:30:00Z");
  near(await mock.clock.now(), "2030-01-01T03:30:00Z");
  await mock.reset();
  expect(Math.abs((await mock.clock.now()).getTime() - Date.now())).toBeLessThan(60_000);
  expect(parseDuration("500ms")).toBe(500);
  expect(() => parseDuration("2 fortnights")).toThrow(/not a duration/);
});

test("an error answer of the mock is a MockError with the documented body", async () => {
  const error = await mock.clock.set("2030-02-31").catch((e) => e);
  expect(error).toBeInstanceOf(MockError);
  expect(error.statusCode).toBe(400);
  expect(error.body.error.type).toBeTruthy();
});

test("requests: the journal of what the app called", async () => {
  await mock.reset();
  const res = await fetch(`${mock.baseUrl}tenants/${mock.tenantId}/auth/basic`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ emailOrUsername: "admin", password: "testmodepassword" }),
  });
  expect(res.status).toBe(200);
  const calls = await mock.requests({ method: "POST", path: `/v0/tenants/${mock.tenantId}/auth` });
  expect(calls).toHaveLength(1);
  expect(calls[0].request.body.password).toBe("[redacted]");
});
