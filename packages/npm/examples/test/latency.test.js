// outbox.waitFor answers when the message is written, not on a polling interval: the waiter is
// asked first, then a message is sent; the time from the message's writing (its submittedAt)
// to waitFor's answer is printed for every sample, and the median must be under 50 ms.
import { expect, inject, test } from "vitest";
import { connectMock } from "userfront-mock";

const mock = connectMock(inject("userfrontMock"));

test("waitFor resolves within 50 ms of the message being written", async () => {
  await mock.reset();
  const samples = [];
  for (let i = 0; i < 9; i += 1) {
    const to = `latency-${i}@example.com`;
    const resolved = mock.outbox.waitFor({ to, timeoutMs: 10_000 }).then((m) => ({ m, at: performance.now(), wall: Date.now() }));
    // Let the long-poll reach the mock and start waiting before the message exists.
    await new Promise((r) => setTimeout(r, 100));
    const sent = performance.now();
    const res = await fetch(`${mock.baseUrl}tenants/${mock.tenantId}/auth/link`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: to }),
    });
    const answered = performance.now();
    expect(res.status).toBe(200);
    const { m, at, wall } = await resolved;
    expect(m.message.to).toBe(to);
    // `submittedAt` is when the mock wrote the message (mock time = this machine's clock after
    // reset, ms precision): `wall - submittedAt` is the delay asked about. `at - sent` bounds it
    // from above (it includes serving the sending request); `at - answered` is how long after
    // the sender's answer the waiter had it.
    samples.push({
      afterWrite: wall - Date.parse(m.message.submittedAt),
      fromSend: at - sent,
      afterSenderAnswer: at - answered,
    });
  }
  const median = (key) => samples.map((s) => s[key]).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  console.log(
    `waitFor latency, ms: after the message was written median ${median("afterWrite").toFixed(1)} ` +
      `(max ${Math.max(...samples.map((s) => s.afterWrite)).toFixed(1)}); from the sending request median ` +
      `${median("fromSend").toFixed(1)}; samples (afterWrite/fromSend/afterSenderAnswer) ${samples
        .map((s) => `${s.afterWrite.toFixed(0)}/${s.fromSend.toFixed(1)}/${s.afterSenderAnswer.toFixed(1)}`)
        .join(", ")}`,
  );
  expect(median("afterWrite")).toBeLessThan(50);
});
