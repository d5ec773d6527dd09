/**
 * The run page (/pipelines/:id): its loader and its Retry and Cancel as Remix calls them, on Postgres
 * and on each queue adapter (in-process, and BullMQ with Redis when REDIS_URL is set): the confirm
 * step, the job cancelled or queued again through the queue, the run stopped, the audit entry, and
 * the failure paths (unknown run: 404; a run in the wrong state: 409; a bad level: ignored, noted).
 */
import type { AppLoadContext } from "@remix-run/node";
import { Queue } from "bullmq";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../app/audit/log.server.js";
import { csrfToken } from "../../app/auth/csrf.server.js";
import { OPEN_PRINCIPAL } from "../../app/auth/principal.js";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import { createInProcessQueue } from "../../app/jobs/in-process.server.js";
import type { JobQueue } from "../../app/jobs/port.js";
import { getRun, PipelineRun } from "../../app/pipelines/runs.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { action, loader } from "../../app/routes/_pages+/pipelines_.$id.js";
import { loader as logJson } from "../../app/routes/_pages+/pipelines_.$id_.log[.json].js";
import { openScratchPostgres } from "../support/databases.js";
import { handlers } from "../support/queue-cases.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

const log = pino({ level: "silent" });
const SIGNING_KEY = "integration-test-signing-key-32-chars!";
const redisUrl = process.env.REDIS_URL;

interface DataResult<T> {
  data: T;
  init: { status?: number } | null;
}
type Page = Awaited<ReturnType<typeof loader>>;

/** A thrown page answer (404...) as status and text, whether a Response or data(). */
async function thrown(promise: Promise<unknown>): Promise<{ status: number; text: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Response) return { status: err.status, text: await err.text() };
    const d = err as DataResult<unknown>;
    if (d && typeof d === "object" && "init" in d) return { status: d.init?.status ?? 200, text: String(d.data) };
    throw err;
  }
  throw new Error("expected a thrown answer");
}

const adapters: [string, (name: string) => Promise<JobQueue>, (name: string) => Promise<void>][] = [
  ["in-process", async () => createInProcessQueue({ retryDelayScale: 0.001 }), async () => {}],
];
if (redisUrl) {
  adapters.push([
    "BullMQ",
    (name) => createBullmqQueue({ url: redisUrl, queueName: name, retryDelayScale: 0.001 }),
    async (name) => {
      const q = new Queue(name, { connection: { url: redisUrl } });
      await q.obliterate({ force: true }).finally(() => q.close());
    },
  ]);
} else {
  describe("run page on BullMQ", () => {
    it.skip('needs REDIS_URL (export "$(bash scripts/start-redis.sh | tail -n 1)")', () => {});
  });
}

describe.each(adapters)("the run page's Retry and Cancel on the %s queue", (_name, openQueue, cleanup) => {
  const queueName = uniqueName("storecast-runpage");
  let scratch: Awaited<ReturnType<typeof openScratchPostgres>>;
  let db: Database;
  let jobs: JobQueue;
  /** What the next retention job does: fail its run at once, or run until cancelled (or released). */
  let mode: "fail" | "block" | "succeed" = "fail";

  const context = () =>
    ({
      db,
      jobs,
      log,
      principal: OPEN_PRINCIPAL,
      signingKey: SIGNING_KEY,
      sessionId: null,
      clientIp: "127.0.0.1",
    }) as unknown as AppLoadContext;
  const load = async (id: number | string, query = "") =>
    (await loader({
      request: new Request(`http://localhost/pipelines/${id}${query}`),
      params: { id: String(id) },
      context: context(),
    })) as Page;
  const post = (id: number, fields: Record<string, string>) =>
    action({
      request: new Request(`http://localhost/pipelines/${id}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...fields, _csrf: csrfToken(SIGNING_KEY, null) }).toString(),
      }),
      params: { id: String(id) },
      context: context(),
    });
  const runOfJob = async (jobId: string) => {
    const [row] = await db.sql.query<{ id: number }>("SELECT id FROM pipeline_runs WHERE job_id = $1", [jobId]);
    return row?.id ?? null;
  };

  beforeAll(async () => {
    scratch = await openScratchPostgres("storecast_runpage");
    db = scratch.db;
    jobs = await openQueue(queueName);
    await jobs.startWorkers(
      handlers({
        // A retention job whose run is recorded as the real ones are (PipelineRun), told what to do.
        async retention(_data, ctx) {
          const run = await PipelineRun.start(db, "retention", { jobId: ctx.id });
          run.log.info("checking what to delete");
          if (mode === "fail") {
            run.log.error("the policy table is unreadable", { table: "model_versions" });
            await run.finish("FAILED", { error: "the policy table is unreadable" });
            return { runId: run.id };
          }
          if (mode === "block") {
            await new Promise<void>((resolve) => {
              if (ctx.signal.aborted) resolve();
              ctx.signal.addEventListener("abort", () => resolve(), { once: true });
            });
            await run.finish("STOPPED", { error: "cancelled" });
            return { runId: run.id };
          }
          await run.finish("SUCCEEDED", { counts: { pipelineRuns: 0 } });
          return { runId: run.id };
        },
      }),
      { concurrency: 2 },
    );
  }, 60_000);
  afterAll(async () => {
    await jobs?.close(1000);
    await cleanup(queueName);
    await scratch?.dispose();
  });

  it("Retry: a failed run asks to confirm, then queues its job again; the new run says who started it", async () => {
    mode = "fail";
    const first = await jobs.enqueue("retention", {});
    await waitFor(
      "the failed run",
      async () => (await runOfJob(first.id)) !== null && (await jobs.get(first.id))?.status === "SUCCEEDED",
      20_000,
    );
    const runId = (await runOfJob(first.id))!;
    const page = await load(runId);
    expect(page.run).toMatchObject({
      id: runId,
      kind: "retention",
      status: "FAILED",
      error: "the policy table is unreadable",
    });
    expect(page.job).toMatchObject({ id: first.id, attempts: 1 });
    expect(page.trigger).toMatchObject({ kind: "schedule" });
    expect(page.log.lines.map((l) => l.level)).toEqual(["info", "info", "error", "error"]);

    // The button leads to the confirm state; a post without the confirmation asks again.
    expect((await load(runId, "?confirm=retry")).confirm).toBe("retry");
    const unconfirmed = (await post(runId, { intent: "retry" })) as Response;
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.get("Location")).toBe(`/pipelines/${runId}?confirm=retry`);
    expect(await runOfJobCount(db)).toBe(1);

    mode = "succeed";
    const res = (await post(runId, { intent: "retry", confirmed: "yes" })) as Response;
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("Location")!, "http://localhost");
    expect(location.pathname).toBe(`/pipelines/${runId}`);
    const jobId = location.searchParams.get("retried")!;
    expect(jobId).not.toBe(first.id);
    await waitFor("the retry's run", async () => (await jobs.get(jobId))?.status === "SUCCEEDED", 20_000);
    const retryRun = (await runOfJob(jobId))!;
    expect((await getRun(db, retryRun))?.status).toBe("SUCCEEDED");
    const [entry] = await listAudit(db, { action: "pipeline-run.retry", limit: 1 });
    expect(entry).toMatchObject({ target: `run ${runId}`, detail: { job: jobId, via: "page" } });
    const retried = await load(retryRun);
    expect(retried.trigger.kind).toBe("user");
    expect(retried.trigger.text).toBe(`anyone (auth off) from the web page, a retry of run ${runId}`);

    // A succeeded run cannot be retried: 409 with a sentence, nothing queued.
    const refused = (await post(retryRun, { intent: "retry", confirmed: "yes" })) as unknown as DataResult<{
      error: string;
    }>;
    expect(refused.init?.status).toBe(409);
    expect(refused.data.error).toContain("only a failed or stopped run can be retried");
  }, 60_000);

  it("Cancel: a running run asks to confirm, then its job is cancelled and the run ends STOPPED", async () => {
    mode = "block";
    const { id: jobId } = await jobs.enqueue("retention", {});
    await waitFor("the running run", async () => (await runOfJob(jobId)) !== null, 20_000);
    const runId = (await runOfJob(jobId))!;
    expect((await load(runId)).run.status).toBe("RUNNING");
    expect((await load(runId, "?confirm=cancel")).confirm).toBe("cancel");
    // A confirm state that does not fit the run (retry a running one) shows no form.
    expect((await load(runId, "?confirm=nonsense")).confirm).toBeNull();

    const res = (await post(runId, { intent: "cancel", confirmed: "yes" })) as Response;
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/pipelines/${runId}?cancelled=1`);
    await waitFor("the run stopped", async () => (await getRun(db, runId))?.status === "STOPPED", 20_000);
    await waitFor("the job stopped", async () => (await jobs.get(jobId))?.status === "STOPPED", 20_000);
    const [entry] = await listAudit(db, { action: "pipeline-run.cancel", limit: 1 });
    expect(entry).toMatchObject({ target: `run ${runId}`, detail: { job: jobId, orphan: false, via: "page" } });
    const stopped = await load(runId);
    expect(stopped.log.lines.at(-1)).toMatchObject({ level: "warn", message: "run stopped: cancelled" });

    // Cancelling it again: 409, the run is no longer pending or running.
    const again = (await post(runId, { intent: "cancel", confirmed: "yes" })) as unknown as DataResult<{
      error: string;
    }>;
    expect(again.init?.status).toBe(409);
  }, 60_000);

  it("Cancel of a run whose job is gone ends the run itself", async () => {
    const run = await PipelineRun.start(db, "batch-forecast", { jobId: "no-such-job" });
    const res = (await post(run.id, { intent: "cancel", confirmed: "yes" })) as Response;
    expect(res.status).toBe(303);
    expect(await getRun(db, run.id)).toMatchObject({ status: "STOPPED" });
  });

  it("failure paths: unknown or malformed run 404, bad level ignored with a note, bad form 400", async () => {
    for (const id of ["999999", "abc", "0"]) expect((await thrown(load(id))).status).toBe(404);
    expect((await thrown(load(999_999))).text).toContain("There is no pipeline run 999999");
    const run = await PipelineRun.start(db, "retention");
    run.log.debug("a detail");
    run.log.warn("a warning");
    await run.finish("SUCCEEDED");
    const warn = await load(run.id, "?level=warn");
    expect(warn.log.lines.map((l) => l.message)).toEqual(["a warning"]);
    const bad = await load(run.id, "?level=loud");
    expect(bad.level).toBeNull();
    expect(bad.levelNote).toContain('"loud" is not a log level');
    expect(bad.log.lines.length).toBe(bad.log.total);

    const json = async (query: string, id = String(run.id)) =>
      (await logJson({
        request: new Request(`http://localhost/pipelines/${id}/log.json${query}`),
        params: { id },
        context: context(),
      })) as Response;
    expect((await json("?level=loud")).status).toBe(400);
    expect(await (await json("?level=loud")).json()).toMatchObject({ details: { field: "level" } });
    expect((await json("?after=x")).status).toBe(400);
    expect((await json("", "999999")).status).toBe(404);
    const after = (await (await json("?after=1")).json()) as { status: string; lines: { seq: number }[] };
    expect(after.status).toBe("SUCCEEDED");
    expect(after.lines.every((l) => l.seq > 1)).toBe(true);

    const unknownIntent = (await post(run.id, {
      intent: "delete",
      confirmed: "yes",
    })) as unknown as DataResult<unknown>;
    expect(unknownIntent.init?.status).toBe(400);
    expect((await thrown(post(999_999, { intent: "retry", confirmed: "yes" }))).status).toBe(404);
  });
});

async function runOfJobCount(db: Database): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pipeline_runs WHERE kind = 'retention'",
  );
  return row?.n ?? 0;
}
