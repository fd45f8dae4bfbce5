// outbox.waitFor answers when the message is written, not on a polling interval: the waiter is
// asked first, then a message is sent; the time from the sending request to waitFor's answer
// is printed for every sample, and the median must be under 50 ms.
import { expect, inject, test } from "vitest";
import { connectMock } from "userfront-mock";

const mock = connectMock(inject("userfrontMock"));

test("waitFor resolves within 50 ms of the message being written", async () => {
  await mock.reset();
  const samples = [];
  for (let i = 0; i < 9; i += 1) {
    const to = `latency-${i}@example.com`;
    const resolved = mock.outbox.waitFor({ to, timeoutMs: 10_000 }).then((m) => ({ m, at: performance.now() }));
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
    const { m, at } = await resolved;
    expect(m.message.to).toBe(to);
    // The message is written while the sending request is served: `at - sent` bounds the delay
    // from above; `at - answered` is how long after the sender's answer the waiter had it.
    samples.push({ fromSend: at - sent, afterSenderAnswer: at - answered });
  }
  const figures = samples.map((s) => s.fromSend).sort((a, b) => a - b);
  const median = figures[Math.floor(figures.length / 2)];
  console.log(
    `waitFor latency (ms from the sending request to waitFor resolving): median ${median.toFixed(1)}, ` +
      `max ${figures.at(-1).toFixed(1)}; samples ${samples
        .map((s) => `${s.fromSend.toFixed(1)} (${s.afterSenderAnswer.toFixed(1)} after the sender's answer)`)
        .join(", ")}`,
  );
  expect(median).toBeLessThan(50);
});
