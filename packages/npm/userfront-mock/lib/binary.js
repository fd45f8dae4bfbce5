// Finds the prebuilt userfront-mock binary the way esbuild and Biome do: one small package per
// platform (`@userfront-mock/<platform>-<arch>`), each declaring `os`/`cpu`, all listed in this
// package's `optionalDependencies`, so npm installs only the one that fits the machine.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The platforms a binary is built for (keep in step with scripts/build.mjs and the release workflow). */
export const PLATFORMS = ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64", "win32-x64"];

/**
 * The path of the userfront-mock binary for this machine (or for `platform`/`arch`, to test the
 * error). `USERFRONT_MOCK_BINARY` overrides it, e.g. for a binary built with
 * `cargo install --path mock-server` on a platform without a prebuilt package.
 *
 * Throws an Error naming the platform when no package fits or the fitting one is missing, since
 * "spawn ENOENT" would not tell a user what to do.
 */
export function binaryPath(platform = process.platform, arch = process.arch, env = process.env) {
  if (env.USERFRONT_MOCK_BINARY) {
    if (!existsSync(env.USERFRONT_MOCK_BINARY)) {
      throw new Error(`USERFRONT_MOCK_BINARY is set to ${env.USERFRONT_MOCK_BINARY}, which does not exist`);
    }
    return env.USERFRONT_MOCK_BINARY;
  }
  const key = `${platform}-${arch}`;
  const fix =
    "Build it from source (`cargo install --path mock-server` in a checkout of userfront-mock) " +
    "and point USERFRONT_MOCK_BINARY at the binary, or use the container image.";
  if (!PLATFORMS.includes(key)) {
    throw new Error(
      `userfront-mock has no prebuilt binary for platform "${platform}" and architecture "${arch}" ` +
        `(process.platform-process.arch = ${key}; prebuilt: ${PLATFORMS.join(", ")}). ${fix}`,
    );
  }
  const pkg = `@userfront-mock/${key}`;
  const file = `bin/userfront-mock${platform === "win32" ? ".exe" : ""}`;
  try {
    return require.resolve(`${pkg}/${file}`);
  } catch {
    throw new Error(
      `userfront-mock: the package ${pkg} (the binary for platform "${platform}", architecture "${arch}") ` +
        "is not installed. npm installs it through optionalDependencies: reinstall without " +
        "--omit=optional / --no-optional, and do not copy node_modules between machines of " +
        `different platforms. ${fix}`,
    );
  }
}
