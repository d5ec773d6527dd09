import type { Logger } from "pino";
import type { OidcClient } from "../auth/oidc.server.js";
import type { Principal } from "../auth/principal.js";
import type { JobQueue } from "../jobs/port.js";
import type { ModelPool } from "../model/pool.server.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import type { SalesStream } from "../stream/port.js";

/** What the server entry hands every loader and action (see server.ts). */
export interface StorecastContext {
  config: Config;
  db: Database;
  /** The model threads: fitting and predicting never run on the request thread. */
  models: ModelPool;
  /** Background jobs (train-one, train-all, batch-forecast, ingest-daily): BullMQ with REDIS_URL, in-process otherwise. */
  jobs: JobQueue;
  /** The process's logger (pino, JSON lines): routes and forms log through it. */
  log: Logger;
  startedAt: Date;
  /**
   * Who sent the request (server.ts resolves the session cookie or the bearer token before Remix
   * runs): null when nobody signed in and auth is on. Routes check it with requireRole().
   */
  principal?: Principal | null;
  /** The key the request's budget and rate limits are counted under (see clientKey()). */
  clientKey?: string;
  /** The client's address (the audit log's "from where"). */
  clientIp?: string;
  /** The session's id when signed in with the cookie (sign-out revokes it; CSRF tokens are bound to it). */
  sessionId?: string | null;
  /** AUTH as decided at start: off in the loopback quick start, on everywhere else. */
  authMode?: "on" | "off";
  /** Signs the session cookie and the forms' CSRF tokens. */
  signingKey?: string;
  /** Single sign-on (OpenID Connect) is configured: the sign-in page offers it. */
  singleSignOn?: boolean;
  /** The OpenID Connect client when single sign-on is configured (its discovery is cached). */
  oidc?: OidcClient;
  /** Aborted when the client leaves before its answer is complete (see clientGoneSignal()). */
  clientGone?: AbortSignal;
  /** The sales stream (Kafka or in-process); readiness checks the brokers through it, /stream shows its state. */
  stream?: Pick<SalesStream, "kind" | "lag" | "state" | "topic">;
  /** The background services and whether each is starting, running or failed (readiness shows them). */
  services?: () => { name: string; state: "starting" | "running" | "failed" }[];
  /** This response's Content-Security-Policy script nonce (app/entry.server.tsx renders it into the page). */
  cspNonce?: string;
  /** True once SIGTERM/SIGINT arrived: /readyz answers 503 while the process drains. */
  shuttingDown?: () => boolean;
}

declare module "@remix-run/node" {
  interface AppLoadContext extends StorecastContext {}
}
