// The CLI (`npx userfront-mock ...`): exec passes exit codes through, the wrapper forwards
// SIGTERM, a crashed test process takes its mock with it, and a platform without a binary gets
// an error that names it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { binaryPath, startMock } from "userfront-mock";

/** `npx userfront-mock ...args`, bounded. */
function npx(...args) {
  return spawnSync("npx", ["--no-install", "userfront-mock", ...args], { encoding: "utf8", timeout: 60_000 });
}

/** Whether something answers `GET url/__mock/health`. */
async function answers(url) {
  try {
    return (await fetch(`${url}/__mock/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/** Waits (bounded) until nothing answers at `url`. */
async function goneWithin(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await answers(url))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test("exec passes exit code 0 through, with the mock's address in the environment", () => {
  const script =
    "const u = process.env.USERFRONT_MOCK_URL;" +
    "if (!/^http:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(u) || process.env.USERFRONT_TENANT_ID !== 'demo1234') process.exit(9);" +
    "fetch(u + '/__mock/health').then((r) => process.exit(r.ok ? 0 : 8), () => process.exit(7));";
  const run = npx("exec", "--", "node", "-e", script);
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.status).toBe(0);
});

test("exec passes a non-zero exit code through", () => {
  const run = npx("exec", "--", "node", "-e", "process.exit(3)");
  expect(run.status).toBe(3);
});

test("the CLI wrapper forwards SIGTERM to the mock and exits", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ufm-cli-"));
  const ready = join(dir, "ready.json");
  const child = spawn("node_modules/.bin/userfront-mock", ["--port", "0", "--ready-file", ready], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  try {
    const deadline = Date.now() + 20_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const { url } = JSON.parse(readFileSync(ready, "utf8"));
    expect(await answers(url)).toBe(true);
    child.kill("SIGTERM");
    const result = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 15_000))]);
    expect(result).not.toBe("timeout");
    expect(await answers(url)).toBe(false);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startMock's mock dies with the test process, even when that process is killed", async () => {
  const script =
    "import { startMock } from 'userfront-mock';" +
    "const mock = await startMock();" +
    "console.log(mock.url);" +
    "process.kill(process.pid, 'SIGKILL');";
  const run = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  expect(run.signal).toBe("SIGKILL");
  const url = run.stdout.trim();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await goneWithin(url, 10_000)).toBe(true);
  // The watchdog also removed the ready file's temporary directory.
  const port = url.split(":").at(-1);
  expect(readdirSync(tmpdir()).filter((d) => d.startsWith("userfront-mock-")).some((d) => {
    try {
      return readFileSync(join(tmpdir(), d, "ready.json"), "utf8").includes(`:${port}"`);
    } catch {
      return false;
    }
  })).toBe(false);
});

test("startMock with options, and stop() ends it", async () => {
  const mock = await startMock({ empty: true });
  try {
    const state = await mock.call("GET", "/__mock/state");
    expect(JSON.stringify(state)).not.toContain("admin@example.com");
  } finally {
    await mock.stop();
  }
  expect(await answers(mock.url)).toBe(false);
  expect(await mock.exited).toBeTruthy();
});

test("the binary comes from the platform package; other platforms get an error naming them", () => {
  expect(binaryPath()).toMatch(/node_modules\/@userfront-mock\/linux-x64\/bin\/userfront-mock$/);
  expect(() => binaryPath("sunos", "mips", {})).toThrow(/platform "sunos" and architecture "mips"/);
  expect(() => binaryPath("darwin", "arm64", {})).toThrow(/@userfront-mock\/darwin-arm64 .* is not installed/);
});
