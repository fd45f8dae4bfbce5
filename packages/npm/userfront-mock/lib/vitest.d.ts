import type { MockInfo } from "./index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The mock started by `userfront-mock/vitest`; `connectMock(inject("userfrontMock"))`. */
    userfrontMock: MockInfo;
  }
}

/** Vitest/Jest global setup: starts one mock, provides `userfrontMock`, sets USERFRONT_MOCK_URL etc. */
export function setup(context?: { provide?(key: "userfrontMock", value: MockInfo): void }): Promise<() => Promise<void>>;
/** Stops the mock started by `setup`. */
export function teardown(): Promise<void>;
export default setup;
