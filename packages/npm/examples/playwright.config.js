import { defineConfig } from "@playwright/test";

// No browser is needed: the tests use Playwright's `request` context and the mock fixture.
export default defineConfig({ testDir: "e2e", workers: 1, reporter: "list", timeout: 30_000 });
