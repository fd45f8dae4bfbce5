// Jest's `globalTeardown` for `globalSetup: "userfront-mock/vitest"`: Jest runs both modules in
// its parent process, so this stops the mock that setup started.
export { teardown as default } from "./vitest.js";
