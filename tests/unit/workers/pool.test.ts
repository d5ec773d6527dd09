import pino from "pino";
import { describe, expect, it } from "vitest";
import type { WorkerContext } from "../../../workers/index.js";
import { type BackgroundService, launchWorkers, startWorkers } from "../../../workers/index.js";

const ctx = { log: pino({ level: "silent" }) } as unknown as WorkerContext;

/** A service whose start waits for `release()`; it records what happened to it. */
function service(name: string, events: string[], fail?: Error) {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const s: BackgroundService = {
    name,
    async start() {
      events.push(`${name} starting`);
      await gate;
      if (fail) throw fail;
      events.push(`${name} started`);
    },
    async stop() {
      events.push(`${name} stopped`);
    },
  };
  return { s, release };
}

describe("the worker pool", () => {
  it("starts every service at once in the background; a slow one does not hold the others back", async () => {
    const events: string[] = [];
    const consumer = service("consumer", events);
    const jobs = service("jobs", events);
    const pool = launchWorkers(ctx, [consumer.s, jobs.s]);
    expect(events).toEqual(["consumer starting", "jobs starting"]);
    jobs.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(pool.states()).toEqual([
      { name: "consumer", state: "starting" },
      { name: "jobs", state: "running" },
    ]);
    consumer.release();
    await pool.started;
    expect(pool.states().every((s) => s.state === "running")).toBe(true);
    await pool.stop();
    // Reverse order of registration.
    expect(events.slice(-2)).toEqual(["jobs stopped", "consumer stopped"]);
  });

  it("stops a service still starting once its start settles, never before", async () => {
    const events: string[] = [];
    const consumer = service("consumer", events);
    const pool = launchWorkers(ctx, [consumer.s]);
    const stopping = pool.stop();
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(["consumer starting"]);
    consumer.release();
    await stopping;
    expect(events).toEqual(["consumer starting", "consumer started", "consumer stopped"]);
  });

  it("fails when one service cannot start, stopping the ones that did", async () => {
    const events: string[] = [];
    const jobs = service("jobs", events);
    const consumer = service("consumer", events, new Error("Kafka at k:9092: Connection error"));
    jobs.release();
    consumer.release();
    await expect(startWorkers(ctx, [jobs.s, consumer.s])).rejects.toThrow("Connection error");
    expect(events).toContain("jobs stopped");
    expect(events).not.toContain("consumer stopped");
  });
});
