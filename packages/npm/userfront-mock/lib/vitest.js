// Vitest (and Jest) global setup: one mock for the whole run.
//
//   // vitest.config.js
//   export default { test: { globalSetup: ["userfront-mock/vitest"] } };
//   // a test
//   import { inject } from "vitest";
//   import { connectMock } from "userfront-mock";
//   const mock = connectMock(inject("userfrontMock"));
//
// It also exports the mock's address to the environment (USERFRONT_MOCK_URL, USERFRONT_TENANT_ID,
// USERFRONT_MOCK_KEYS, USERFRONT_{TEST,LIVE}_{ADMIN,READONLY}_KEY, as `exec` does), which test workers
// inherit, so `connectMock()` without an argument works too, as it does under
// `userfront-mock exec`. Options come from USERFRONT_MOCK_ARGS (space-separated flags).

import { startMock } from "./index.js";

let running = null;

/** Starts the mock; returns the teardown that stops it. */
export async function setup(context) {
  const args = (process.env.USERFRONT_MOCK_ARGS ?? "").split(/\s+/).filter(Boolean);
  running = await startMock({ args });
  const info = { url: running.url, tenantId: running.tenantId, keys: running.keys };
  context?.provide?.("userfrontMock", info);
  Object.assign(process.env, {
    USERFRONT_MOCK_URL: info.url,
    USERFRONT_TENANT_ID: info.tenantId,
    USERFRONT_MOCK_KEYS: JSON.stringify(info.keys),
    USERFRONT_TEST_ADMIN_KEY: info.keys?.test?.admin ?? "",
    USERFRONT_TEST_READONLY_KEY: info.keys?.test?.readonly ?? "",
    USERFRONT_LIVE_ADMIN_KEY: info.keys?.live?.admin ?? "",
    USERFRONT_LIVE_READONLY_KEY: info.keys?.live?.readonly ?? "",
  });
  return teardown;
}

/** Stops the mock (Jest's `globalTeardown`; Vitest calls the function `setup` returns). */
export async function teardown() {
  await running?.stop();
  running = null;
}

export default setup;
