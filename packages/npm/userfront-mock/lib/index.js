// The test kit: start a userfront-mock on a free port and drive its control surface (/__mock/*)
// from a test, without hand-written helpers. Waiting uses the mock's long-poll (`?wait=`), so a
// test is answered as soon as the email exists, with no polling interval to tune.

import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { request } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath } from "./binary.js";

export { binaryPath, PLATFORMS } from "./binary.js";

/** The longest `wait` the mock accepts on one request; longer waits are several requests. */
const MAX_SERVER_WAIT_MS = 60_000;
/** How much of the mock's stderr is kept for error messages. */
const STDERR_TAIL = 8 * 1024;

/** An error answer of the mock, in its documented format. */
export class MockError extends Error {
  constructor(method, path, status, body) {
    const message = body?.message ?? (typeof body === "string" ? body : JSON.stringify(body));
    super(`userfront-mock: ${method} ${path} answered ${status}: ${message}`);
    this.name = "MockError";
    this.statusCode = status;
    this.body = body;
  }
}

/**
 * Milliseconds in a duration: a number of seconds, or a string of `<number><unit>` parts with
 * units ms, s, m, h, d, w (`"2h"`, `"1h30m"`, `"500ms"`, `"1.5d"`).
 */
export function parseDuration(value) {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`not a duration: ${value}`);
    return value * 1000;
  }
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  const text = String(value).trim();
  const part = /(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  let match;
  while ((match = part.exec(text)) !== null) {
    total += Number(match[1]) * units[match[2]];
    end = part.lastIndex;
    while (text[end] === " ") end += 1;
    part.lastIndex = end;
  }
  if (end === 0 || end !== text.length) {
    throw new TypeError(`not a duration: "${value}" (use e.g. "2h", "1h30m", "90s", "500ms" or a number of seconds)`);
  }
  return total;
}

/** A query string of the defined members of `filter`. */
function query(filter = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** What a test wants from an outbox entry: the link and its parts, the code, and the entry. */
function toMessage(entry) {
  let { uuid = null, token = null } = entry;
  if (entry.link && (!uuid || !token)) {
    try {
      const params = new URL(entry.link).searchParams;
      uuid ??= params.get("uuid");
      token ??= params.get("token");
    } catch {
      // A link that is not a URL (cut by the outbox's size cap) has no parts to read.
    }
  }
  return { link: entry.link ?? null, uuid, token, code: entry.verificationCode ?? null, message: entry };
}

/**
 * A client of a running mock's control surface. Without `info`, it reads the environment that
 * `userfront-mock exec` and the Vitest global setup export (`USERFRONT_MOCK_URL`,
 * `USERFRONT_TENANT_ID`, and `USERFRONT_MOCK_KEYS` or `USERFRONT_{TEST,LIVE}_{ADMIN,READONLY}_KEY`).
 */
export function connectMock(info = fromEnv()) {
  if (!info?.url) {
    throw new Error(
      "connectMock(): no mock URL. Pass { url, tenantId, keys } (e.g. inject(\"userfrontMock\") in Vitest) " +
        "or run under `userfront-mock exec` / the userfront-mock/vitest global setup, which set USERFRONT_MOCK_URL.",
    );
  }
  const url = String(info.url).replace(/\/+$/, "");

  async function call(method, path, { body, timeoutMs = 15_000 } = {}) {
    let res;
    try {
      res = await httpCall(method, url + path, body, timeoutMs);
    } catch (error) {
      throw new Error(`userfront-mock: ${method} ${url}${path} failed: ${error.message}`);
    }
    let parsed = res.text;
    try {
      parsed = res.text ? JSON.parse(res.text) : null;
    } catch {
      // Not JSON: reported as text below.
    }
    if (res.status >= 400) throw new MockError(method, path, res.status, parsed);
    return parsed;
  }

  /**
   * The id of the last entry each list's `waitFor` resolved with: the default `since` of the
   * next `waitFor` on that list, so it is answered by a newer entry only, never by one an
   * earlier test (or wait) already had. Per client: tests of one file run in order.
   */
  const lastSeen = { "/__mock/outbox": undefined, "/__mock/webhooks": undefined };
  const idOf = (path, entry) => (path === "/__mock/outbox" ? entry.messageId : entry.id);

  /**
   * Asks `path` with `filter` until an entry exists or `timeoutMs` is over, each request a
   * long-poll of at most the mock's limit: one request for any timeout up to 60 s. The mock
   * filters (and, with `since`, skips what was seen); nothing is fetched to filter here.
   */
  async function waitForEntry(path, what, { timeoutMs = 10_000, since, ...filter } = {}) {
    const after = since === undefined ? lastSeen[path] : since;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const wait = Math.min(Math.ceil(remaining), MAX_SERVER_WAIT_MS);
      const asked = Date.now();
      const { results } = await call("GET", path + query({ ...filter, since: after, wait: `${wait}ms` }), {
        timeoutMs: wait + 10_000,
      });
      if (results.length > 0) {
        const entry = results[results.length - 1];
        lastSeen[path] = idOf(path, entry);
        return entry;
      }
      // An empty answer well before the deadline means the mock did not wait (it is shutting
      // down, or too old for `?wait=`): asking again would spin, so stop here.
      const waited = Date.now() - asked;
      if (waited < wait - 250) {
        throw new Error(
          `userfront-mock: an empty answer after ${waited} ms of a ${wait} ms wait for a ${what} ` +
            "(is the mock shutting down, or older than ?wait= support?)",
        );
      }
    }
    const { results } = await call("GET", path + query(filter));
    const seen = results
      .slice(-10)
      .map((e) => (e.to ? `${e.type} to ${e.to}` : JSON.stringify(e).slice(0, 120)))
      .join("; ");
    throw new Error(
      `userfront-mock: no ${what} matching ${JSON.stringify(filter)} within ${timeoutMs} ms` +
        `${after ? ` after ${after}` : ""} (${results.length} matching in all, seen before or not` +
        `${seen ? `; the last: ${seen}` : ""})`,
    );
  }

  /** The id of the newest entry of `path` now (null when empty): a `since` for a later wait. */
  async function mark(path) {
    const { results } = await call("GET", path);
    return results.length > 0 ? idOf(path, results[results.length - 1]) : null;
  }

  const date = (body) => new Date(body.now);

  const mock = {
    url,
    baseUrl: `${url}/v0/`,
    tenantId: info.tenantId,
    keys: info.keys,
    /** Back to the seed data and real time; empties the outbox, webhooks and journal. */
    reset: async () => {
      await call("POST", "/__mock/reset");
    },
    clock: {
      now: async () => date(await call("GET", "/__mock/clock")),
      set: async (when) => {
        const now = when instanceof Date ? when.toISOString() : String(when);
        return date(await call("POST", "/__mock/clock", { body: { now } }));
      },
      advance: async (duration) =>
        date(await call("POST", "/__mock/clock", { body: { advanceSeconds: parseDuration(duration) / 1000 } })),
    },
    outbox: {
      list: async (filter) => (await call("GET", `/__mock/outbox${query(filter)}`)).results,
      waitFor: async (options = {}) => toMessage(await waitForEntry("/__mock/outbox", "message", options)),
      mark: () => mark("/__mock/outbox"),
      clear: async () => {
        await call("DELETE", "/__mock/outbox");
      },
    },
    webhooks: {
      list: async (filter) => (await call("GET", `/__mock/webhooks${query(filter)}`)).results,
      waitFor: async (options = {}) => waitForEntry("/__mock/webhooks", "webhook delivery", options),
      mark: () => mark("/__mock/webhooks"),
      clear: async () => {
        await call("DELETE", "/__mock/webhooks");
      },
    },
    requests: async (filter) => (await call("GET", `/__mock/requests${query(filter)}`)).results,
    /** Any control or API call: `mock.call("GET", "/__mock/state")`. Parsed JSON; throws MockError. */
    call: (method, path, body) => call(method, path, { body }),
  };
  return mock;
}

/** The mock a parent process started for us (`userfront-mock exec`, the Vitest global setup). */
function fromEnv(env = process.env) {
  if (!env.USERFRONT_MOCK_URL) return null;
  let keys;
  try {
    keys = env.USERFRONT_MOCK_KEYS ? JSON.parse(env.USERFRONT_MOCK_KEYS) : undefined;
  } catch {
    keys = undefined;
  }
  keys ??= {
    test: { admin: env.USERFRONT_TEST_ADMIN_KEY, readonly: env.USERFRONT_TEST_READONLY_KEY },
    live: { admin: env.USERFRONT_LIVE_ADMIN_KEY, readonly: env.USERFRONT_LIVE_READONLY_KEY },
  };
  return { url: env.USERFRONT_MOCK_URL, tenantId: env.USERFRONT_TENANT_ID, keys };
}

/**
 * POSIX watchdog around the binary: the mock runs in the background; a reader waits for EOF on
 * our stdin pipe and then sends the mock SIGTERM. The pipe closes when `stop()` ends it and
 * when this Node process exits for any reason (even SIGKILL or a crash), so the mock never
 * outlives the tests. The shell exits with the mock's status, so an early exit is seen at once.
 */
const WATCHDOG = [
  'dir="$1"; shift',
  "exec 3<&0",
  '"$@" </dev/null 3<&- &',
  "mock=$!",
  '{ read -r _ <&3; kill -TERM "$mock" 2>/dev/null; } &',
  "reader=$!",
  "exec 3<&-",
  'wait "$mock"; status=$?',
  'kill "$reader" 2>/dev/null',
  // The temporary directory of the ready file, also when Node died without cleaning up.
  'rm -rf "$dir"',
  'exit "$status"',
].join("\n");

/** Resolves with the parsed ready file once it exists; rejects when the mock exits or on timeout. */
function readyFile(dir, name, child, stderr, timeoutMs) {
  const path = join(dir, name);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error, value) => {
      if (done) return;
      done = true;
      watcher.close();
      clearTimeout(timer);
      child.off("exit", exited);
      if (error) reject(error);
      else resolve(value);
    };
    const check = async () => {
      try {
        finish(null, JSON.parse(await readFile(path, "utf8")));
      } catch (error) {
        // Not there yet (ENOENT), or caught between create and write: the next event rechecks.
        if (error.code !== "ENOENT" && !(error instanceof SyntaxError)) finish(error);
      }
    };
    const exited = (code, signal) =>
      finish(
        new Error(
          `userfront-mock exited before it was ready (${signal ?? `exit code ${code}`})` +
            (stderr() ? `:\n${stderr()}` : ""),
        ),
      );
    const watcher = watch(dir, () => check());
    const timer = setTimeout(
      () => finish(new Error(`userfront-mock was not ready within ${timeoutMs} ms${stderr() ? `:\n${stderr()}` : ""}`)),
      timeoutMs,
    );
    child.on("exit", exited);
    check();
  });
}

/**
 * Starts a userfront-mock on a free port (or `port`) and resolves once it answers
 * `GET /__mock/health`. See index.d.ts for the options and the returned object.
 */
export async function startMock(options = {}) {
  const { port = 0, fixtures, empty = false, args = [], env = {}, timeoutMs = 20_000 } = options;
  const binary = options.binary ?? binaryPath();
  const dir = await mkdtemp(join(tmpdir(), "userfront-mock-"));
  const argv = ["--port", String(port), "--ready-file", join(dir, "ready.json")];
  if (fixtures) argv.push("--fixtures", fixtures);
  if (empty) argv.push("--empty");
  argv.push(...args);

  const posix = process.platform !== "win32";
  const child = posix
    ? spawn("/bin/sh", ["-c", WATCHDOG, "userfront-mock-watchdog", dir, binary, ...argv], {
        stdio: ["pipe", "ignore", "pipe"],
        env: { ...process.env, ...env },
      })
    : spawn(binary, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  // Windows has no watchdog shell: kill the mock when this process exits normally.
  const killOnExit = () => child.kill();
  if (!posix) process.on("exit", killOnExit);

  let tail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
  });
  const exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let spawnError = null;
  child.once("error", (error) => {
    spawnError = error;
  });
  // A forgotten mock must not keep the test process alive; when it exits, the pipe closes and
  // the watchdog stops the mock.
  child.unref();
  child.stdin?.unref?.();
  child.stderr.unref?.();

  const cleanup = () => rm(dir, { recursive: true, force: true });
  let info;
  try {
    info = await readyFile(dir, "ready.json", child, () => (spawnError ? spawnError.message : tail.trim()), timeoutMs);
    await healthy(info.url, timeoutMs);
  } catch (error) {
    child.stdin?.end();
    child.kill("SIGKILL");
    if (!posix) process.off("exit", killOnExit);
    await cleanup();
    throw error;
  }

  const mock = connectMock(info);
  let stopping = null;
  mock.stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.ref();
        if (posix) child.stdin.end();
        else child.kill();
        // The mock finishes requests in flight for up to its shutdown timeout (5 s by default).
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(timer);
      }
      if (!posix) process.off("exit", killOnExit);
      await cleanup();
    })();
    return stopping;
  };
  mock.exited = exit;
  return mock;
}

/** Resolves once `GET /__mock/health` answers 200: a few quick tries, all within `timeoutMs`. */
async function healthy(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (let attempt = 0; attempt < 20 && Date.now() < deadline; attempt += 1) {
    try {
      const res = await httpCall("GET", `${url}/__mock/health`, undefined, 2_000);
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 25 * (attempt + 1)));
  }
  throw new Error(`userfront-mock wrote its ready file but ${url}/__mock/health does not answer: ${last}`);
}

/**
 * One HTTP request with node:http, not `fetch`: a test environment often replaces `fetch` and
 * `AbortSignal` (jsdom's globals in Vitest, MSW's interception), and the kit's calls to the mock
 * must not depend on what the app's tests did to them.
 */
function httpCall(method, target, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      target,
      {
        method,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}
