import type { TestType, PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions } from "@playwright/test";
import type { RunningMock } from "./index.js";

export { expect } from "@playwright/test";

/** Playwright's `test` with `mock`: one userfront-mock per worker, reset before each test. */
export const test: TestType<
  PlaywrightTestArgs & PlaywrightTestOptions & { mock: RunningMock },
  PlaywrightWorkerArgs & PlaywrightWorkerOptions & { userfrontMockWorker: RunningMock }
>;
