/**
 * Readiness (/readyz): whether this replica should get traffic. The database answers and its
 * migrations are applied; Redis (the job queue) and Kafka (the sales stream) answer when they are
 * configured; no background service failed to start (one still starting, such as a consumer
 * joining its group, is named but not held against the replica); and the process is not shutting
 * down (a load balancer or Kubernetes then stops sending it requests while it drains). Each check
 * is bounded, so a hung service makes /readyz answer "not ready" quickly rather than hang itself.
 */

import path from "node:path";
import type { JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import type { SalesStream } from "../stream/port.js";

export interface Check {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

export interface ReadinessDeps {
  db: Pick<Database, "sql" | "pendingMigrations" | "kind" | "location">;
  jobs?: Pick<JobQueue, "kind" | "ping">;
  stream?: Pick<SalesStream, "kind" | "lag">;
  /** The consumer group whose lag the Kafka check reads (a real round trip to the brokers). */
  groupId?: string;
  shuttingDown?: () => boolean;
  /** The background services' states: one still starting does not make the replica unready. */
  services?: () => { name: string; state: "starting" | "running" | "failed" }[];
}

/** How long each check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 3_000;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";

async function bounded(what: string, timeoutMs: number, check: () => Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<Check>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `${what} did not answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    return { ok: false, detail: message(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The database's location as an unauthenticated probe may show it: a URL as is (no password), a
 * directory relative to the working directory, never an absolute path of this machine.
 */
export function shownLocation(location: string, cwd = process.cwd()): string {
  if (!path.isAbsolute(location)) return location;
  const relative = path.relative(cwd, location);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)
    ? `./${relative}`
    : `.../${path.basename(location)}`;
}

export async function checkReadiness(deps: ReadinessDeps, timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const { db, jobs, stream } = deps;
  const checks: Record<string, Check> = {};
  const pending: Promise<void>[] = [];
  const add = (name: string, what: string, check: () => Promise<Check>) =>
    pending.push(
      bounded(what, timeoutMs, check).then((c) => {
        checks[name] = c;
      }),
    );

  add("database", "the database", async () => {
    await db.sql.query("SELECT 1");
    return { ok: true, detail: `${db.kind} ${shownLocation(db.location)}` };
  });
  add("migrations", "the migrations check", async () => {
    const missing = await db.pendingMigrations();
    return missing.length === 0 ? { ok: true } : { ok: false, detail: `pending: ${missing.join(", ")}` };
  });
  if (jobs?.kind === "bullmq") {
    add("redis", "Redis", async () => {
      await jobs.ping();
      return { ok: true, detail: "job queue (BullMQ)" };
    });
  }
  if (stream?.kind === "kafka") {
    add("kafka", "Kafka", async () => {
      const lag = await stream.lag(deps.groupId ?? "storecast-ingest");
      return { ok: true, detail: `consumer lag ${lag}` };
    });
  }
  if (deps.services) {
    const states = deps.services();
    const named = (state: string) => states.filter((s) => s.state === state).map((s) => s.name);
    const [starting, failed] = [named("starting"), named("failed")];
    // Pages and forecasts need only the database: a consumer still joining its group is news, not a fault.
    checks.services =
      failed.length > 0
        ? { ok: false, detail: `failed to start: ${failed.join(", ")}` }
        : { ok: true, detail: starting.length > 0 ? `starting: ${starting.join(", ")}` : "all running" };
  }
  await Promise.all(pending);
  if (deps.shuttingDown?.()) checks.shutdown = { ok: false, detail: "shutting down: finishing the work in flight" };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
