// Playwright fixtures: `mock`, one userfront-mock per worker, reset before each test that uses it.
//
//   import { test, expect } from "userfront-mock/playwright";
//   test("sign-up email", async ({ mock, request }) => {
//     await request.post(`${mock.baseUrl}tenants/${mock.tenantId}/auth/create`, { data: {...} });
//     const { link } = await mock.outbox.waitFor({ to: "new@example.com" });
//   });
//
// Point the app under test at `mock.baseUrl` (e.g. through an env var read by its dev server,
// or `page.addInitScript`).

import { test as base } from "@playwright/test";
import { startMock } from "./index.js";

export { expect } from "@playwright/test";

export const test = base.extend({
  userfrontMockWorker: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixtures a function uses from its pattern.
    async ({}, use) => {
      const mock = await startMock();
      await use(mock);
      await mock.stop();
    },
    { scope: "worker" },
  ],
  mock: async ({ userfrontMockWorker }, use) => {
    await userfrontMockWorker.reset();
    await use(userfrontMockWorker);
  },
});
