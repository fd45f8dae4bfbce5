// waitFor filters on the mock, not here: `since` (by default after what the previous waitFor
// had) keeps a wait from resolving with an earlier message, and the webhook filters go to the
// mock as query parameters (an impossible one is the mock's 400, not a silent timeout).
import { expect, inject, test } from "vitest";
import { connectMock, MockError } from "userfront-mock";

const mock = connectMock(inject("userfrontMock"));

async function sendLink(email) {
  const res = await fetch(`${mock.baseUrl}tenants/${mock.tenantId}/auth/link`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  expect(res.status).toBe(200);
}

test("outbox.waitFor never resolves twice with the same message; mark() gives an explicit since", async () => {
  await mock.reset();
  const to = "again@example.com";
  await sendLink(to);
  const first = await mock.outbox.waitFor({ to });
  // The message is still in the outbox; the next wait is for a newer one.
  const next = mock.outbox.waitFor({ to, timeoutMs: 10_000 });
  let settled = false;
  next.then(() => {
    settled = true;
  }, () => {
    settled = true;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(settled).toBe(false);
  await mock.clock.advance("3s"); // past the duplicate-message window
  await sendLink(to);
  const second = await next;
  expect(second.message.messageId).not.toBe(first.message.messageId);
  expect(second.message.to).toBe(to);
  // since: null takes any message, however old: the newest.
  expect((await mock.outbox.waitFor({ to, since: null })).message.messageId).toBe(second.message.messageId);

  const mark = await mock.outbox.mark();
  expect(mark).toBe(second.message.messageId);
  await expect(mock.outbox.waitFor({ to, since: mark, timeoutMs: 400 })).rejects.toThrow(/no message matching/);
});

test("webhooks.waitFor filters by event on the mock", async () => {
  await mock.reset();
  const admin = { "content-type": "application/json", authorization: `Bearer ${mock.keys.test.admin}` };
  const created = [];
  for (const email of ["wh-a@example.com", "wh-b@example.com"]) {
    const res = await fetch(`${mock.baseUrl}users`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ email }),
    });
    expect(res.status).toBe(200);
    created.push(await res.json());
  }
  const [a, b] = created;
  const update = mock.webhooks.waitFor({ model: "user", action: "update", userId: a.userId });
  for (const user of [b, a]) {
    const res = await fetch(`${mock.baseUrl}users/${user.userId}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ name: "Renamed" }),
    });
    expect(res.status).toBe(200);
  }
  const delivery = await update;
  expect(delivery.body.action).toBe("update");
  expect(delivery.body.record.userId).toBe(a.userId);
  expect(await mock.webhooks.list({ model: "user", action: "create" })).toHaveLength(2);
  // The filter is the mock's: a value no delivery can have is refused at once.
  const error = await mock.webhooks.waitFor({ action: "created", timeoutMs: 5_000 }).catch((e) => e);
  expect(error).toBeInstanceOf(MockError);
  expect(error.statusCode).toBe(400);
});
