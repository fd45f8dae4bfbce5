/** The API keys of a mode of the mock's tenant. */
export interface ModeKeys {
  admin: string;
  readonly: string;
}

/** What a running mock tells about itself (its ready file; `inject("userfrontMock")` in Vitest). */
export interface MockInfo {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The seeded workspace, `demo1234` with the embedded fixtures. */
  tenantId: string;
  keys: { test: ModeKeys; live?: ModeKeys };
}

/** An email or SMS the mock captured (`GET /__mock/outbox`). */
export interface OutboxEntry {
  messageId: string;
  tenantId: string;
  mode: "test" | "live";
  channel: "email" | "sms";
  to: string;
  /** `welcome | login | verify | reset | invite | verificationCode | mfa`. */
  type: string;
  link: string | null;
  uuid: string | null;
  token: string | null;
  verificationCode: string | null;
  suppressed: boolean;
  submittedAt: string;
}

/** What `outbox.waitFor` resolves with: the parts a test needs, and the whole entry. */
export interface ReceivedMessage {
  link: string | null;
  uuid: string | null;
  token: string | null;
  /** The verification code of a code message. */
  code: string | null;
  message: OutboxEntry;
}

/** Filters of `GET /__mock/outbox` (exact, case-insensitive). */
export interface OutboxFilter {
  /** Only messages after the one with this `messageId`. */
  since?: string;
  to?: string;
  type?: string;
  tenantId?: string;
  mode?: "test" | "live";
  channel?: "email" | "sms";
}

export interface WaitOptions {
  /** How long to wait in all, default 10 000 ms. Longer than 60 s takes several long-polls. */
  timeoutMs?: number;
  /**
   * Only entries written after the one with this id (`messageId`, delivery `id`; e.g. from
   * `mark()`), filtered by the mock. Default: after the entry the previous `waitFor` on this
   * list resolved with (so one never resolves twice with the same or an older entry), or any
   * entry for the first. `null`: any entry, however old.
   */
  since?: string | null;
}

/**
 * Filters of `GET /__mock/webhooks`, applied by the mock to the delivered event
 * (`{action, model, mode, record}`).
 */
export interface WebhookFilter {
  model?: "user" | "tenant" | "link" | "verificationCode";
  action?: "create" | "update" | "delete" | "send";
  mode?: "test" | "live";
  /** The record's tenant. */
  tenantId?: string;
  /** The record's user. */
  userId?: number;
  userUuid?: string;
  /** The recipient of a message webhook's record. */
  to?: string;
  /** Only deliveries after the one with this id. */
  since?: string;
}

/** A recorded webhook delivery (`GET /__mock/webhooks`). */
export interface WebhookDelivery {
  id: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  [key: string]: unknown;
}

/** Filters of `GET /__mock/requests`: `path` is a prefix, `status` `404` or `4xx`. */
export interface RequestFilter {
  method?: string;
  path?: string;
  status?: string | number;
  tenantId?: string;
  mode?: "test" | "live";
  limit?: number;
  /** Only requests after the one with this `id` (ids only grow). */
  since?: number;
  /** Long-poll: answer once an entry matches, or after this long (`"5s"`, `"500ms"`, ≤ 60 s). */
  wait?: string;
}

/** One entry of the request journal (see the mock's README, "The request journal"). */
export interface JournalEntry {
  id: number;
  at: string;
  method: string;
  path: string;
  status: number;
  tenantId: string | null;
  mode: "test" | "live" | null;
  [key: string]: unknown;
}

/** A client of a running mock's control surface. */
export interface MockClient extends MockInfo {
  /** `url + "/v0/"`: the `baseUrl` of `Userfront.init`, and the base of server-to-server calls. */
  baseUrl: string;
  /** Back to the seed data and real time; empties the outbox, webhook log and journal. */
  reset(): Promise<void>;
  clock: {
    /** The mock's current time. */
    now(): Promise<Date>;
    /** Moves the mock's time to `when` (ISO 8601 or a Date); resolves with the new time. */
    set(when: string | Date): Promise<Date>;
    /** Moves the mock's time on by `"2h"`, `"1h30m"`, `"90s"`, `"500ms"`, `"7d"` or a number of seconds. */
    advance(duration: string | number): Promise<Date>;
  };
  outbox: {
    list(filter?: OutboxFilter): Promise<OutboxEntry[]>;
    /**
     * Resolves with the newest message matching the filters (applied by the mock) as soon as
     * one exists (the mock's long-poll, no polling); rejects after `timeoutMs`. Only messages
     * after `since` count (see {@link WaitOptions.since}: by default, after the last one a
     * `waitFor` of this client resolved with).
     */
    waitFor(options?: OutboxFilter & WaitOptions): Promise<ReceivedMessage>;
    /** The `messageId` of the newest message now (null if none): `since` for a later `waitFor`. */
    mark(): Promise<string | null>;
    clear(): Promise<void>;
  };
  webhooks: {
    list(filter?: WebhookFilter): Promise<WebhookDelivery[]>;
    /**
     * Resolves with the newest delivery matching the filters (applied by the mock) as soon as
     * one exists; only deliveries after `since` count (as for `outbox.waitFor`).
     */
    waitFor(options?: WebhookFilter & WaitOptions): Promise<WebhookDelivery>;
    /** The `id` of the newest delivery now (null if none): `since` for a later `waitFor`. */
    mark(): Promise<string | null>;
    clear(): Promise<void>;
  };
  /** The request journal, oldest first. */
  requests(filter?: RequestFilter): Promise<JournalEntry[]>;
  /** Any call to the mock, parsed JSON; rejects with a MockError on an error status. */
  call(method: string, path: string, body?: unknown): Promise<any>;
}

export interface StartOptions {
  /** Port to listen on; default 0, a free one. */
  port?: number;
  /** A directory with a `seed.json` instead of the embedded fixtures. */
  fixtures?: string;
  /** Seeded workspaces and keys, but no users. */
  empty?: boolean;
  /** More command-line flags for the mock, e.g. `["--journal-size", "0"]`. */
  args?: string[];
  /** More environment for the mock. */
  env?: Record<string, string>;
  /** The binary to run instead of the platform package's (also: env USERFRONT_MOCK_BINARY). */
  binary?: string;
  /** How long starting may take, default 20 000 ms. */
  timeoutMs?: number;
}

/** A mock this process started. */
export interface RunningMock extends MockClient {
  /** Stops the mock (clean shutdown, at most ~10 s) and removes its temporary files. */
  stop(): Promise<void>;
  /** Resolves when the mock's process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a userfront-mock and resolves once it answers `GET /__mock/health`. The mock is
 * stopped when this process exits, even when it crashes (POSIX; on Windows, on a normal exit).
 */
export function startMock(options?: StartOptions): Promise<RunningMock>;

/**
 * A client of a mock started elsewhere: `connectMock(inject("userfrontMock"))` in Vitest, or,
 * without an argument, the one named by the environment (`userfront-mock exec`, the Vitest
 * global setup).
 */
export function connectMock(info?: MockInfo): MockClient;

/** Milliseconds in `"2h"`, `"1h30m"`, `"500ms"` or a number of seconds. */
export function parseDuration(value: string | number): number;

/** The path of the platform's binary; throws an Error naming `platform`/`arch` when none fits. */
export function binaryPath(platform?: string, arch?: string, env?: Record<string, string | undefined>): string;

/** The `<platform>-<arch>` pairs with a prebuilt binary package. */
export const PLATFORMS: readonly string[];

/** An error status from the mock; `body` is its documented error body. */
export class MockError extends Error {
  statusCode: number;
  body: { statusCode: number; message: string; error: { type: string } } | unknown;
}
