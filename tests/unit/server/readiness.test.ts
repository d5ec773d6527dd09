import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { checkReadiness, shownLocation } from "../../../app/server/readiness.server.js";
import { InProcessStream } from "../../../app/stream/in-process.server.js";

describe("readiness on embedded defaults", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("is ready with the database migrated; Redis and Kafka are not checked when not configured", async () => {
    const jobs = createInProcessQueue();
    const stream = new InProcessStream({ topic: "sale_rossman_store" });
    try {
      const r = await checkReadiness({ db, jobs, stream, shuttingDown: () => false });
      expect(r.ready).toBe(true);
      expect(Object.keys(r.checks).sort()).toEqual(["database", "migrations"]);
      expect(r.checks.database).toEqual({ ok: true, detail: "pglite memory://" });
    } finally {
      await jobs.close(0);
      await stream.close();
    }
  });

  it("names the background services still starting without holding them against the replica; a failed one is", async () => {
    const states = [
      { name: "ingest-consumer", state: "starting" as const },
      { name: "job-workers", state: "running" as const },
    ];
    const starting = await checkReadiness({ db, services: () => states });
    expect(starting.ready).toBe(true);
    expect(starting.checks.services).toEqual({ ok: true, detail: "starting: ingest-consumer" });
    states[0]!.state = "running";
    expect((await checkReadiness({ db, services: () => states })).checks.services).toEqual({
      ok: true,
      detail: "all running",
    });
    const failed = await checkReadiness({ db, services: () => [{ name: "ingest-consumer", state: "failed" }] });
    expect(failed.ready).toBe(false);
    expect(failed.checks.services).toEqual({ ok: false, detail: "failed to start: ingest-consumer" });
  });

  it("is not ready while shutting down", async () => {
    const r = await checkReadiness({ db, shuttingDown: () => true });
    expect(r.ready).toBe(false);
    expect(r.checks.shutdown).toEqual({ ok: false, detail: "shutting down: finishing the work in flight" });
    expect(r.checks.database?.ok).toBe(true);
  });

  it("names a pending migration, and a database that fails", async () => {
    const pending = await openDatabase({ pgliteDir: "memory://", migrate: false });
    try {
      const r = await checkReadiness({ db: pending });
      expect(r.ready).toBe(false);
      expect(r.checks.migrations?.detail).toMatch(/^pending: 20261126000000_init/);
    } finally {
      await pending.close();
    }
    const closed = await openDatabase({ pgliteDir: "memory://" });
    await closed.close();
    const r = await checkReadiness({ db: closed });
    expect(r.ready).toBe(false);
    expect(r.checks.database?.ok).toBe(false);
    expect(r.checks.database?.detail).toBeTruthy();
  });
});

describe("what the probe shows of the database's location", () => {
  it("never an absolute path of this machine: relative to the working directory, or only the last name", () => {
    expect(shownLocation("/srv/app/data/pglite", "/srv/app")).toBe("./data/pglite");
    expect(shownLocation("/tmp/storecast-x/pglite", "/srv/app")).toBe(".../pglite");
    expect(shownLocation("/srv/app", "/srv/app")).toBe(".../app");
    expect(shownLocation("memory://")).toBe("memory://");
    expect(shownLocation("127.0.0.1:5432/storecast")).toBe("127.0.0.1:5432/storecast");
  });

  it("is what the database check shows", async () => {
    const db = await openDatabase({ pgliteDir: "memory://" });
    try {
      const r = await checkReadiness({ db: { ...db, location: "/somewhere/else/pglite" } });
      expect(r.checks.database).toEqual({ ok: true, detail: "pglite .../pglite" });
    } finally {
      await db.close();
    }
  });
});
