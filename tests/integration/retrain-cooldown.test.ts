import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { csrfOf } from "../support/auth.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { describeRetrainCooldown } from "../support/retrain-cooldown-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

describe("retrain cooldown on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_cooldown");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  describeRetrainCooldown("Postgres", () => openDatabase({ databaseUrl: scratch!.url }));
});

const PRODUCT = "product_A";

async function waitForJob(base: string, id: string, limitMs = 120_000): Promise<string> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const job = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as { status: string };
    if (["SUCCEEDED", "FAILED", "STOPPED"].includes(job.status)) return job.status;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("retrain cooldown through the running server", () => {
  let server: RunningServer;

  beforeAll(async () => {
    const dataDir = tempDir("cooldown");
    server = await startServer({
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      GENERATE_STORES: "2",
      GENERATE_DAYS: "60",
      GENERATE_SEED: "3",
      AUTO_TRAIN: "false",
      STREAM_PRODUCER: "false",
      SCHEDULES: "false",
      MODEL_THREADS: "1",
      RETRAIN_COOLDOWN_S: "600",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("answers a second retrain of a series 429 naming it and when to retry: API and store page; /api/trainers keeps its contract", async () => {
    const retrain = (store: number) =>
      fetch(`${server.url}/api/models/${store}/${PRODUCT}/retrain`, { method: "POST" });
    const first = await retrain(1);
    expect(first.status).toBe(202);
    const { job_id: id } = (await first.json()) as { job_id: string };
    expect(await waitForJob(server.url, id)).toBe("SUCCEEDED");

    const again = await retrain(1);
    expect(again.status).toBe(429);
    const retryAfter = Number(again.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await again.json()) as { error: string; details: Record<string, unknown> };
    expect(body.error).toMatch(/store 1 product_A .*RETRAIN_COOLDOWN_S/);
    expect(body.details).toMatchObject({
      limit: "RETRAIN_COOLDOWN_S",
      store: 1,
      product: PRODUCT,
      retryAfterSeconds: retryAfter,
      retryAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });

    // The store page's Retrain, without JavaScript: the page again, with the reason beside the button.
    const _csrf = csrfOf(await (await fetch(`${server.url}/stores/1?product=${PRODUCT}`)).text());
    const page = await fetch(`${server.url}/stores/1`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "text/html" },
      body: new URLSearchParams({ _csrf, intent: "retrain", product: PRODUCT }).toString(),
      redirect: "manual",
    });
    expect(page.status).toBe(429);
    expect(page.headers.get("retry-after")).toMatch(/^\d+$/);
    const html = await page.text();
    expect(html).toMatch(
      /<p role="alert"[^>]*>Not retrained: a retrain of store 1 product_A was asked for less than 600 s/,
    );

    // Another series is not held back; the reference route is not under the cooldown.
    expect((await retrain(2)).status).toBe(202);
    const seed = await fetch(`${server.url}/api/trainers/1/${PRODUCT}/train`, { method: "POST" });
    expect(seed.status).toBe(200);
    expect(await seed.json()).toMatchObject({ status: "SUBMITTED" });
  });
});
