// One mock for the whole run, started by the package's global setup; each test file gets a
// client with connectMock(inject("userfrontMock")).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.js"],
    globalSetup: ["userfront-mock/vitest"],
    // Files share the one mock and reset it: run them one after the other.
    fileParallelism: false,
    testTimeout: 30_000,
    environmentOptions: { jsdom: { url: "http://localhost:3000/login" } },
  },
});
