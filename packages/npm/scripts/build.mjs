#!/usr/bin/env node
// Builds the npm packages of userfront-mock from a checkout, and packs them (`npm pack`).
//
//   node packages/npm/scripts/build.mjs --binary target/x86_64-unknown-linux-gnu/release/userfront-mock \
//        [--platform linux-x64] [--platform darwin-arm64 --binary ...]... [--no-main] [--out DIR]
//
// Each `--binary` goes into the platform package named by the `--platform` before it
// (linux-x64 when none is given): `@userfront-mock/<platform>`, with `os`/`cpu` set, so npm
// installs it only there. The main package `userfront-mock` (CLI + test kit) lists every
// platform package in `optionalDependencies`. Versions come from mock-server/Cargo.toml (the
// workspace version), so the npm packages and the binary they carry never disagree.
//
// Packages are staged under target/npm/stage (the sources in packages/npm stay as committed)
// and the tarballs written to --out (default target/npm/dist); their paths are printed, one a
// line, main package first. A release runs it once with every platform's binary (the release
// workflow downloads them first), or once per platform with --no-main plus once without binaries.

import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const npmDir = resolve(here, "..");
const root = resolve(npmDir, "../..");

/** npm's `os`/`cpu` of each platform package (`process.platform`/`process.arch` names). */
const PLATFORMS = {
  "darwin-arm64": { os: "darwin", cpu: "arm64" },
  "darwin-x64": { os: "darwin", cpu: "x64" },
  "linux-arm64": { os: "linux", cpu: "arm64" },
  "linux-x64": { os: "linux", cpu: "x64" },
  "win32-x64": { os: "win32", cpu: "x64" },
};

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(2);
}

// Arguments.
const binaries = [];
let platform = "linux-x64";
let main = true;
let out = join(root, "target/npm/dist");
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 1) {
  const arg = argv[i];
  const value = () => argv[++i] ?? fail(`${arg} needs a value`);
  if (arg === "--platform") platform = value();
  else if (arg === "--binary") binaries.push({ platform, path: resolve(value()) });
  else if (arg === "--out") out = resolve(value());
  else if (arg === "--no-main") main = false;
  else fail(`unknown argument ${arg}`);
}
for (const b of binaries) {
  if (!PLATFORMS[b.platform]) fail(`unknown platform ${b.platform} (known: ${Object.keys(PLATFORMS).join(", ")})`);
  if (!existsSync(b.path)) fail(`no binary at ${b.path}`);
}
if (!main && binaries.length === 0) fail("nothing to build: give --binary, or drop --no-main");

/** The version of the userfront-mock crate (inherited from the workspace when it says so). */
function crateVersion() {
  const crate = readFileSync(join(root, "mock-server/Cargo.toml"), "utf8");
  const own = crate.match(/^version\s*=\s*"([^"]+)"/m);
  if (own) return own[1];
  if (!/^version\.workspace\s*=\s*true/m.test(crate)) fail("no version in mock-server/Cargo.toml");
  const workspace = readFileSync(join(root, "Cargo.toml"), "utf8");
  const section = workspace.split(/^\[workspace\.package\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const version = section.match(/^version\s*=\s*"([^"]+)"/m);
  if (!version) fail("no [workspace.package] version in Cargo.toml");
  return version[1];
}

const version = crateVersion();
const stage = join(root, "target/npm/stage");
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
mkdirSync(out, { recursive: true });
const tarballs = [];

function pack(dir) {
  const json = execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  tarballs.push(join(out, JSON.parse(json)[0].filename));
}

if (main) {
  const dir = join(stage, "userfront-mock");
  const source = join(npmDir, "userfront-mock");
  for (const part of ["bin", "lib", "README.md", "package.json"]) {
    cpSync(join(source, part), join(dir, part), { recursive: true });
  }
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  manifest.version = version;
  manifest.optionalDependencies = Object.fromEntries(
    Object.keys(PLATFORMS).map((name) => [`@userfront-mock/${name}`, version]),
  );
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  chmodSync(join(dir, "bin/userfront-mock.js"), 0o755);
  pack(dir);
}

for (const { platform: name, path } of binaries) {
  const { os, cpu } = PLATFORMS[name];
  const dir = join(stage, name);
  mkdirSync(join(dir, "bin"), { recursive: true });
  const exe = `userfront-mock${os === "win32" ? ".exe" : ""}`;
  copyFileSync(path, join(dir, "bin", exe));
  chmodSync(join(dir, "bin", exe), 0o755);
  const manifest = {
    name: `@userfront-mock/${name}`,
    version,
    description: `The userfront-mock binary for ${os} ${cpu} (installed by the userfront-mock package).`,
    license: "MIT OR Apache-2.0",
    os: [os],
    cpu: [cpu],
    files: [`bin/${exe}`],
    preferUnplugged: true,
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, "README.md"),
    `# @userfront-mock/${name}\n\nThe \`userfront-mock\` binary for ${os} ${cpu}. Install \`userfront-mock\`, ` +
      "which depends on this package through `optionalDependencies`; do not install it directly.\n",
  );
  pack(dir);
}

for (const t of tarballs) console.log(t);
