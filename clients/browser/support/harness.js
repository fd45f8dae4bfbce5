// Shared by the browser tests: a mock per test file (the built binary on a free port), Debian's
// Chromium through playwright-core, a tiny static server for the app pages, bounded waits.
// Every request goes to 127.0.0.1 or localhost; Chromium maps the one foreign name the CORS test
// needs (evil.test) to 127.0.0.1 too.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../../..");
export const artifacts = process.env.BROWSER_ARTIFACTS || join(root, "target/browser-artifacts");
mkdirSync(artifacts, { recursive: true });

/** Starts `userfront-mock --port 0` and resolves with its base URL once it listens (10 s at most). */
export async function startMock() {
  const bin = process.env.USERFRONT_MOCK_BIN || join(root, "target/debug/userfront-mock");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("USERFRONT_MOCK_")));
  const child = spawn(bin, ["--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the mock did not start within 10 s:\n${log}`)), 10_000);
    const onData = (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => { clearTimeout(timer); fail(new Error(`cannot run ${bin}: ${e.message} (build it: cargo build -p userfront-mock)`)); });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`the mock exited (${code}):\n${log}`)); });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.on("exit", ok));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Headless Chromium from the system (playwright-core never downloads a browser here). */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox", "--host-resolver-rules=MAP evil.test 127.0.0.1", "--disable-gpu"],
  });
}

/** JSON from the mock, from Node (no Origin: what a test harness is). */
export async function mockJson(base, path, init) {
  const resp = await fetch(base + path, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${init?.method || "GET"} ${path}: ${resp.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Polls `probe` until it returns something truthy, for at most `ms`. */
export async function eventually(probe, ms = 10_000, what = "condition") {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try { last = await probe(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

const TOOLKIT = join(root, "clients/browser/node_modules/@userfront/toolkit/dist/web-component.es.js");
const PAGES = join(root, "clients/browser/pages");

/**
 * The app under test on `http://<host>:<port>`: the pages in `pages/` (the toolkit's forms),
 * `/toolkit.js` (the unmodified web-component build of @userfront/toolkit) and `/config.js`
 * (where the mock is). `/login`, `/signup`, `/dashboard` serve `<name>.html`.
 */
export async function startApp(mockUrl, { port = 3000, host = "127.0.0.1" } = {}) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const send = (type, body) => { res.writeHead(200, { "content-type": type, "cache-control": "no-store" }); res.end(body); };
    try {
      if (path === "/config.js") return send("text/javascript", `export const mockUrl = ${JSON.stringify(mockUrl)};\n`);
      if (path === "/toolkit.js") return send("text/javascript", readFileSync(TOOLKIT));
      if (path.endsWith(".js")) return send("text/javascript", readFileSync(join(PAGES, path.replace(/[^a-z0-9.-]/gi, ""))));
      const name = path === "/" ? "index" : path.slice(1).replace(/[^a-z0-9-]/gi, "");
      return send("text/html; charset=utf-8", readFileSync(join(PAGES, `${name}.html`)));
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((ok, fail) => { server.once("error", fail); server.listen(port, host, ok); });
  return { stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }) };
}
