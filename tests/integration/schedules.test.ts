/**
 * Schedules over HTTP on a real server (Postgres, the in-process queue, AUTH on): listing, pause,
 * resume and Run now with their refusals (401, 403, unknown names 404, bad input 400 naming the
 * field), the on-demand batch forecast and ingestion check, the audit log, and a pause that
 * outlives a restart of the server. The adapters' own cases are in tests/support/queue-cases.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../app/audit/log.server.js";
import type { Role } from "../../app/auth/principal.js";
import { createApiToken } from "../../app/auth/tokens.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { bearer } from "../support/auth.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type RunningServer, startServer } from "../support/processes.js";

const ENV = {
  ADMIN_PASSWORD: "integration-admin-password",
  AUTH: "on",
  GENERATE_STORES: "3",
  GENERATE_DAYS: "60",
  GENERATE_SEED: "3",
  AUTO_TRAIN: "false",
  STREAM_PRODUCER: "false",
  // Registered, on a day that does not come while the test runs.
  TRAIN_CRON: "0 2 29 2 *",
  INGEST_CRON: "5 0 29 2 *",
  RETENTION_CRON: "30 3 29 2 *",
  DRIFT_CRON: "45 0 29 2 *",
  ANOMALY_CRON: "0 4 29 2 *",
};

interface ScheduleBody {
  name: string;
  kind: string;
  cron: string;
  description: string | null;
  paused: boolean;
  nextRunAt: string | null;
  lastRun: { jobId: string; status: string | null } | null;
}

describe("schedules over HTTP (Postgres, in-process queue, auth on)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let server: RunningServer;
  const tokens: Partial<Record<Role, string>> = {};

  const call = (path: string, role?: Role, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { ...(role ? bearer(tokens[role]!) : {}), ...(init.headers as Record<string, string>) },
    });
  const post = (path: string, role?: Role, body?: unknown) =>
    call(path, role, {
      method: "POST",
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
  const schedules = async (): Promise<ScheduleBody[]> =>
    ((await (await call("/api/schedules", "viewer")).json()) as { schedules: ScheduleBody[] }).schedules;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_sched");
    server = await startServer({ DATABASE_URL: scratch.url, ...ENV }, 180_000);
    db = await openDatabase({ databaseUrl: scratch.url, migrate: false, poolSize: 2 });
    for (const role of ["viewer", "planner", "operator"] as const) {
      tokens[role] = (await createApiToken(db, { name: `${role}-bot`, role, createdBy: "test" })).token;
    }
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await scratch?.drop();
  });

  it("lists every registered schedule with its cron in words, next run and no last run yet", async () => {
    const list = await schedules();
    expect(list.map((s) => s.name)).toEqual([
      "anomaly-scan",
      "drift-check",
      "ingest-daily",
      "retention",
      "train-weekly",
    ]);
    const weekly = list.find((s) => s.name === "train-weekly")!;
    expect(weekly).toMatchObject({
      kind: "train-all",
      cron: "0 2 29 2 *",
      description: "On day 29 of the month in February at 02:00 UTC",
      paused: false,
      lastRun: null,
    });
    expect(new Date(weekly.nextRunAt!).getUTCDate()).toBe(29);
  });

  it("refuses pause, resume and Run now without a sign-in (401) or below operator (403)", async () => {
    for (const path of [
      "/api/schedules/train-weekly/pause",
      "/api/schedules/train-weekly/resume",
      "/api/schedules/train-weekly/run",
    ]) {
      const anonymous = await post(path);
      expect(anonymous.status, path).toBe(401);
      const planner = await post(path, "planner");
      expect(planner.status, path).toBe(403);
      expect(await planner.json()).toMatchObject({ details: { field: "role", required: "operator" } });
    }
    for (const path of ["/api/batch-forecast", "/api/ingest-daily"]) {
      expect((await post(path)).status, path).toBe(401);
      expect((await post(path, "viewer")).status, path).toBe(403);
    }
    expect((await schedules()).every((s) => !s.paused)).toBe(true);
  });

  it("answers an unknown schedule with 404 naming the field, and a name that cannot be one with 400", async () => {
    for (const what of ["pause", "resume", "run"]) {
      const res = await post(`/api/schedules/no-such-schedule/${what}`, "operator");
      expect(res.status, what).toBe(404);
      expect(await res.json()).toMatchObject({
        details: { entity: "schedule", field: "name", schedule: "no-such-schedule" },
      });
    }
    const long = await post(`/api/schedules/${"x".repeat(101)}/pause`, "operator");
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ details: { field: "name" } });
    expect((await call("/api/schedules/train-weekly/pause", "operator")).status).toBe(405);
  });

  it("an operator pauses and resumes a schedule; both are audited", async () => {
    const paused = await post("/api/schedules/drift-check/pause", "operator");
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ name: "drift-check", paused: true, nextRunAt: null });
    expect((await schedules()).find((s) => s.name === "drift-check")).toMatchObject({ paused: true });
    const resumed = await post("/api/schedules/drift-check/resume", "operator");
    expect(await resumed.json()).toMatchObject({ name: "drift-check", paused: false });
    const actions = (await listAudit(db, { limit: 50 })).map((e) => [e.action, e.target, e.actor.name]);
    expect(actions).toContainEqual(["schedule.pause", "schedule drift-check", "operator-bot"]);
    expect(actions).toContainEqual(["schedule.resume", "schedule drift-check", "operator-bot"]);
  });

  it("Run now enqueues the schedule's job (202) and the list shows it as the last run", async () => {
    const res = await post("/api/schedules/ingest-daily/run", "operator");
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    expect(res.headers.get("location")).toBe(`/api/jobs/${job_id}`);
    const job = (await (await call(`/api/jobs/${job_id}`, "viewer")).json()) as { kind: string; data: unknown };
    expect(job).toMatchObject({ kind: "ingest-daily", data: { daysAgo: 1 } });
    expect((await schedules()).find((s) => s.name === "ingest-daily")?.lastRun).toMatchObject({ jobId: job_id });
  });

  it("starts the batch forecast and the ingestion check of a chosen day on demand; a bad day is a 400 naming it", async () => {
    const forecast = await post("/api/batch-forecast", "operator");
    expect(forecast.status).toBe(202);
    const day = await post("/api/ingest-daily", "operator", { day: "2026-01-05" });
    expect(day.status).toBe(202);
    const { job_id } = (await day.json()) as { job_id: string };
    expect(await (await call(`/api/jobs/${job_id}`, "viewer")).json()).toMatchObject({
      kind: "ingest-daily",
      data: { day: "2026-01-05" },
    });
    for (const body of [{ day: "yesterday" }, { day: 5 }, { when: "2026-01-05" }]) {
      const bad = await post("/api/ingest-daily", "operator", body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      // An unknown key is the body's fault as a whole (readJson's convention); a bad day names `day`.
      expect(((await bad.json()) as { details: { field: string } }).details.field).toBe(
        "when" in body ? "body" : "day",
      );
    }
  });

  it("a paused schedule stays paused when the server restarts", async () => {
    expect((await post("/api/schedules/train-weekly/pause", "operator")).status).toBe(200);
    await server.stop();
    server = await startServer({ DATABASE_URL: scratch.url, ...ENV }, 180_000);
    const list = await schedules();
    expect(list.find((s) => s.name === "train-weekly")).toMatchObject({ paused: true, nextRunAt: null });
    expect(list.find((s) => s.name === "retention")).toMatchObject({ paused: false });
  }, 240_000);
});
