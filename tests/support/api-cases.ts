/**
 * The HTTP API's cases, run against a real server process (tests/integration/api.test.ts): on
 * PGlite with the in-process queue, and on Postgres with BullMQ on Redis. Every route's happy path
 * and its error answers (the reference-compatible routes' own cases are in seed-cases.ts), and
 * the declared contract live: every endpoint of /api/openapi.json answers a documented success whose
 * body parses with the zod schema its route declares.
 * The server holds the small generated data set (6 stores, product_A, 60 days), fully trained.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import { API_ENDPOINTS } from "../../app/routes/_api+/openapi.server.js";
import { sseEvents } from "./sse.js";

export interface ApiTarget {
  url: string;
}

export const STORES = 6;
const PRODUCT = "product_A";

interface ErrorBody {
  error: string;
  details: Record<string, unknown>;
}

interface JobEventBody {
  id: string;
  status: string;
  progress: { done: number; total: number } | null;
  error: string | null;
  result?: unknown;
}

const FINAL = ["SUCCEEDED", "FAILED", "STOPPED"];

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

function expectError(res: { status: number; body: unknown }, status: number, details: Record<string, unknown> = {}) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = res.body as ErrorBody;
  expect(typeof body.error).toBe("string");
  expect(body.details).toMatchObject(details);
  return body;
}

/** Model-thread tasks the server has seen (queued, running, ended), from its /metrics. */
export async function modelTasksSeen(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^storecast_model_tasks(?:_total)?\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

/** Reads a server-sent event stream to its end (or `limitMs`), returning each `data:` event parsed. */
export async function readEvents(url: string, limitMs = 60_000): Promise<{ events: JobEventBody[]; headers: Headers }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), limitMs);
  const res = await fetch(url, { signal: abort.signal });
  const events: JobEventBody[] = [];
  try {
    expect(res.status).toBe(200);
    const stream = sseEvents<JobEventBody>(res.body!);
    for (let event = await stream.next(); event; event = await stream.next()) events.push(event);
  } finally {
    clearTimeout(timer);
  }
  return { events, headers: res.headers };
}

async function waitForJob(base: string, id: string, limitMs = 120_000): Promise<{ status: string }> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await call(base, "GET", `/api/jobs/${id}`);
    const job = res.body as { status: string };
    if (FINAL.includes(job.status) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until every series has a production model and no train-all job is pending or running. */
export async function waitForInitialTraining(base: string, limitMs = 150_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const html = await (await fetch(base)).text();
    const models = Number(/Models in production<\/dt><dd[^>]*>(\d+)</.exec(html)?.[1] ?? Number.NaN);
    // The initial training is a train-all run (scheduled jobs wait as PENDING, so the runs tell, not the jobs).
    const runs = await call(base, "GET", "/api/pipeline-runs?kind=train-all&limit=1");
    const status = (runs.body as { runs?: { status: string }[] }).runs?.[0]?.status;
    if (models >= STORES && status === "SUCCEEDED") return;
    if (Date.now() > deadline) throw new Error(`initial training not finished: ${models} models, run ${status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function defineApiCases(target: () => ApiTarget): void {
  const base = () => target().url;
  const get = (path: string) => call(base(), "GET", path);
  const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    call(base(), "POST", path, body, headers);
  let firstStore = 0;
  let lastSalesDay = "";

  // --- stores -----------------------------------------------------------------------------------

  it("GET /api/stores lists stores with products, paged and filtered", async () => {
    const all = await get("/api/stores");
    expect(all.status).toBe(200);
    const body = all.body as {
      total: number;
      stores: { store: number; products: string[]; storeType: string | null; lastDate: string }[];
    };
    expect(body.total).toBe(STORES);
    expect(body.stores).toHaveLength(STORES);
    expect(body.stores[0]!.products).toEqual([PRODUCT]);
    firstStore = body.stores[0]!.store;
    lastSalesDay = body.stores.map((s) => s.lastDate).sort()[0]!;

    const page = (await get("/api/stores?limit=2&offset=2")).body as typeof body;
    expect(page.total).toBe(STORES);
    expect(page.stores.map((s) => s.store)).toEqual(body.stores.slice(2, 4).map((s) => s.store));

    const q = (await get(`/api/stores?q=${firstStore}`)).body as typeof body;
    expect(q.stores.map((s) => s.store)).toContain(firstStore);
    const type = body.stores[0]!.storeType!;
    const typed = (await get(`/api/stores?type=${type}`)).body as typeof body;
    expect(typed.stores.length).toBeGreaterThan(0);
    expect(typed.stores.every((s) => s.storeType === type)).toBe(true);
    const past = (await get("/api/stores?offset=100")).body as typeof body;
    expect(past).toMatchObject({ total: STORES, stores: [] });
  });

  it("GET /api/stores refuses bad query parameters, naming them", async () => {
    expectError(await get("/api/stores?limit=abc"), 400, { field: "limit" });
    expectError(await get("/api/stores?limit=0"), 400, { field: "limit" });
    expectError(await get("/api/stores?type=z"), 400, { field: "type" });
    expectError(await get("/api/stores?q=x1"), 400, { field: "q" });
  });

  it("GET /api/stores/:store answers its products and history; 404 names an unknown store", async () => {
    const res = await get(`/api/stores/${firstStore}`);
    expect(res.status).toBe(200);
    const body = res.body as {
      store: number;
      history: { rows: number };
      products: { product: string; model: unknown }[];
    };
    expect(body.store).toBe(firstStore);
    expect(body.history.rows).toBeGreaterThan(0);
    expect(body.products[0]).toMatchObject({ product: PRODUCT, model: { productionVersion: expect.any(Number) } });

    const missing = expectError(await get("/api/stores/999999"), 404, { entity: "store", store: 999999 });
    expect(missing.error).toContain("999999");
    expectError(await get("/api/stores/abc"), 400, { field: "store" });
    expectError(await get("/api/stores/-3"), 400, { field: "store" });
  });

  // --- forecasts --------------------------------------------------------------------------------

  it("GET /api/forecasts/:store/:product answers the latest weekly 7-day forecast", async () => {
    const res = await get(`/api/forecasts/${firstStore}/${PRODUCT}`);
    expect(res.status).toBe(200);
    const body = res.body as { kind: string; model: { name: string; version: number }; points: { date: string }[] };
    expect(body.kind).toBe("weekly");
    expect(body.model.name).toBe(`prophet-retail-forecaster-store-${firstStore}-${PRODUCT}`);
    expect(body.points).toHaveLength(7);
    // Seven consecutive days after the newest sales day at training time.
    const first = body.points[0]!.date;
    expect(body.points.map((p) => p.date)).toEqual(Array.from({ length: 7 }, (_, i) => addDays(first, i)));
    expect(first > lastSalesDay).toBe(true);
  });

  it("GET /api/forecasts: 404 naming an unknown store or product, 400 for a store that is not an integer", async () => {
    const store = expectError(await get(`/api/forecasts/999999/${PRODUCT}`), 404, { entity: "store", store: 999999 });
    expect(store.error).toContain("999999");
    expectError(await get(`/api/forecasts/${firstStore}/product_Z`), 404, { entity: "product", product: "product_Z" });
    expectError(await get(`/api/forecasts/1.5/${PRODUCT}`), 400, { field: "store" });
  });

  it("POST /api/forecasts/:store/:product forecasts any range, both days inclusive, storing nothing", async () => {
    const begin = addDays(lastSalesDay, 3);
    const end = addDays(lastSalesDay, 12);
    const res = await post(`/api/forecasts/${firstStore}/${PRODUCT}`, { begin, end });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body as {
      kind: string;
      points: { date: string; value: number; lower: number; upper: number }[];
      model: { version: number };
    };
    expect(body.kind).toBe("adhoc");
    expect(body.points).toHaveLength(10);
    expect(body.points[0]!.date).toBe(begin);
    expect(body.points.at(-1)!.date).toBe(end);
    for (const p of body.points) expect(p.lower).toBeLessThanOrEqual(p.upper);
    // Not stored: the weekly forecast is unchanged.
    const weekly = (await get(`/api/forecasts/${firstStore}/${PRODUCT}`)).body as { points: unknown[] };
    expect(weekly.points).toHaveLength(7);
  });

  it("POST /api/forecasts refuses bad bodies with 400/413/415, and unknown series with 404", async () => {
    const path = `/api/forecasts/${firstStore}/${PRODUCT}`;
    const day = addDays(lastSalesDay, 1);
    expectError(await post(path, { begin: addDays(day, 5), end: day }), 400, { field: "end" });
    expectError(await post(path, { begin: day, end: addDays(day, 365) }), 400, { field: "end" });
    expect((await post(path, { begin: day, end: addDays(day, 364) })).status).toBe(200);
    expectError(await post(path, '{"begin": "2025-01-01",'), 400, { field: "body" });
    expectError(await post(path, { end: day }), 400, { field: "begin" });
    expectError(await post(path, { begin: "2025-02-30", end: "2025-03-02" }), 400, { field: "begin" });
    expectError(await post(path, { begin: "01/02/2025", end: day }), 400, { field: "begin" });
    expectError(await post(path, "begin=2025-01-01", { "content-type": "application/x-www-form-urlencoded" }), 415);
    expectError(await post(path, "[1,2]"), 400);
    const store = expectError(await post(`/api/forecasts/999999/${PRODUCT}`, { begin: day, end: day }), 404, {
      entity: "store",
    });
    expect(store.error).toContain("999999");
    expectError(await post(`/api/forecasts/abc/${PRODUCT}`, { begin: day, end: day }), 400, { field: "store" });
  });

  it("POST /api/forecasts: a date outside the forecast window is a 400 naming the field and the window, before any model work", async () => {
    const path = `/api/forecasts/${firstStore}/${PRODUCT}`;
    const seen = await modelTasksSeen(base());
    // The finding: 190 bytes asking for year 9999 held a model thread for ~100 s.
    const far = expectError(await post(path, { begin: "9999-01-01", end: "9999-01-07" }), 400, { field: "begin" });
    expect(far.error).toMatch(
      /^begin 9999-01-01 is outside the forecast window: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(the first sales day to 730 days after the newest/,
    );
    const window = far.details.window as { first: string; last: string };
    expect(far.details.horizonDays).toBe(730);
    expect(window.first < lastSalesDay && window.last > addDays(lastSalesDay, 700)).toBe(true);
    expectError(await post(path, { begin: addDays(window.last, -5), end: addDays(window.last, 1) }), 400, {
      field: "end",
      window,
    });
    expectError(await post(path, { begin: addDays(window.first, -1), end: window.first }), 400, { field: "begin" });
    expect(await modelTasksSeen(base())).toBe(seen);
    // The window's last day is inside.
    expect((await post(path, { begin: window.last, end: window.last })).status).toBe(200);
  });

  it("refuses a body over 1 MB with 413, declared or chunked", async () => {
    const path = `/api/forecasts/${firstStore}/${PRODUCT}`;
    const big = JSON.stringify({ begin: "2025-01-01", end: "2025-01-02", pad: "x".repeat(1_100_000) });
    expectError(await post(path, big), 413, { field: "body" });
    const chunk = new TextEncoder().encode(" ".repeat(100_000));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 12; i++) c.enqueue(chunk);
        c.close();
      },
    });
    const res = await fetch(`${base()}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expectError({ status: res.status, body: await res.json() }, 413, { field: "body" });
    // Just under the limit is read (and refused for what it says, not its size).
    const under = JSON.stringify({ begin: "2025-01-01", end: "2025-01-02", pad: "x".repeat(1_000_000) });
    expect((await post(path, under)).status).not.toBe(413);
  });

  // --- models -----------------------------------------------------------------------------------

  it("GET /api/models/:store/:product/versions lists versions with one in production", async () => {
    const res = await get(`/api/models/${firstStore}/${PRODUCT}/versions`);
    expect(res.status).toBe(200);
    const body = res.body as { productionVersion: number; versions: { version: number; stage: string; cv: unknown }[] };
    expect(body.versions.length).toBeGreaterThan(0);
    expect(body.versions.filter((v) => v.stage === "production")).toHaveLength(1);
    expect(body.productionVersion).toBe(body.versions.find((v) => v.stage === "production")!.version);
    expectError(await get(`/api/models/999999/${PRODUCT}/versions`), 404, { entity: "store" });
    expectError(await get(`/api/models/${firstStore}/product_Z/versions`), 404, { entity: "product" });
    expectError(await get(`/api/models/x/${PRODUCT}/versions`), 400, { field: "store" });
  });

  it("retrains through the API: 202, deduplicated while pending or running, SSE to SUCCEEDED, new production version", async () => {
    const store = firstStore;
    const before = (await get(`/api/models/${store}/${PRODUCT}/versions`)).body as { productionVersion: number };
    const [a, b] = await Promise.all([
      post(`/api/models/${store}/${PRODUCT}/retrain`),
      post(`/api/models/${store}/${PRODUCT}/retrain`),
    ]);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(b.status).toBe(202);
    const first = a.body as { job_id: string; status: string; deduplicated: boolean };
    const second = b.body as typeof first;
    expect(first.job_id).toEqual(expect.any(String));
    expect(second.job_id).toBe(first.job_id);
    expect([first.deduplicated, second.deduplicated].sort()).toEqual([false, true]);
    expect(a.headers.get("location")).toBe(`/api/jobs/${encodeURIComponent(first.job_id)}`);

    const { events, headers } = await readEvents(`${base()}/api/jobs/${first.job_id}/events`);
    expect(headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(headers.get("cache-control")).toBe("no-cache");
    expect(headers.get("x-accel-buffering")).toBe("no");
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.id === first.job_id)).toBe(true);
    expect(events.at(-1)!.status).toBe("SUCCEEDED");

    const job = (await get(`/api/jobs/${first.job_id}`)).body as { kind: string; status: string; data: unknown };
    expect(job).toMatchObject({ kind: "train-one", status: "SUCCEEDED", data: { store, productname: PRODUCT } });
    const after = (await get(`/api/models/${store}/${PRODUCT}/versions`)).body as {
      productionVersion: number;
      versions: { version: number }[];
    };
    expect(after.productionVersion).toBeGreaterThan(before.productionVersion);
    expect(after.versions[0]!.version).toBe(after.productionVersion);
    // The retrain refreshed the weekly forecast with the new version.
    const weekly = (await get(`/api/forecasts/${store}/${PRODUCT}`)).body as { model: { version: number } };
    expect(weekly.model.version).toBe(after.productionVersion);
    // A new retrain after the first finished is a new job.
    const again = (await post(`/api/models/${store}/${PRODUCT}/retrain`)).body as typeof first;
    expect(again.job_id).not.toBe(first.job_id);
    expect(again.deduplicated).toBe(false);
    expect((await waitForJob(base(), again.job_id)).status).toBe("SUCCEEDED");
  });

  it("POST /api/models/:store/:product/retrain: 404 naming an unknown store or product before enqueueing", async () => {
    const res = expectError(await post(`/api/models/999999/${PRODUCT}/retrain`), 404, { entity: "store" });
    expect(res.error).toContain("999999");
    expectError(await post(`/api/models/${firstStore}/product_Z/retrain`), 404, { entity: "product" });
    expectError(await post(`/api/models/abc/${PRODUCT}/retrain`), 400, { field: "store" });
    expectError(await get(`/api/models/${firstStore}/${PRODUCT}/retrain`), 405);
  });

  it("promotes an older version (rollback) and back; 404 for an unknown version", async () => {
    const path = `/api/models/${firstStore}/${PRODUCT}/versions`;
    const list = (await get(path)).body as { productionVersion: number; versions: { version: number }[] };
    const current = list.productionVersion;
    const older = list.versions.find((v) => v.version < current)!.version;
    const res = await post(`${path}/${older}/promote`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ promoted: { version: older, stage: "production" } });
    expect(((await get(path)).body as { productionVersion: number }).productionVersion).toBe(older);
    const fc = await post(`/api/forecasts/${firstStore}/${PRODUCT}`, {
      begin: addDays(lastSalesDay, 1),
      end: addDays(lastSalesDay, 2),
    });
    expect((fc.body as { model: { version: number } }).model.version).toBe(older);
    expect((await post(`${path}/${current}/promote`)).status).toBe(200);
    expect(((await get(path)).body as { productionVersion: number }).productionVersion).toBe(current);

    expectError(await post(`${path}/999/promote`), 404, { entity: "version", version: 999 });
    expectError(await post(`${path}/x/promote`), 400, { field: "version" });
    expectError(await post(`/api/models/999999/${PRODUCT}/versions/1/promote`), 404, { entity: "store" });
  });

  // --- jobs -------------------------------------------------------------------------------------

  it("POST /api/train-all: 202, SSE shows progress over every series and SUCCEEDED; a pipeline run records it", async () => {
    const res = await post("/api/train-all");
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const { job_id } = res.body as { job_id: string };
    const { events } = await readEvents(`${base()}/api/jobs/${job_id}/events`, 120_000);
    expect(events.at(-1)!.status).toBe("SUCCEEDED");
    const withProgress = events.filter((e) => e.progress !== null);
    expect(withProgress.length).toBeGreaterThan(0);
    expect(withProgress.at(-1)!.progress).toEqual({ done: STORES, total: STORES });
    // Progress only moves forward.
    const done = withProgress.map((e) => e.progress!.done);
    expect(done).toEqual([...done].sort((x, y) => x - y));

    const list = (await get("/api/jobs?kind=train-all&limit=5")).body as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).toContain(job_id);
    const runs = (await get("/api/pipeline-runs?kind=train-all&limit=5")).body as {
      runs: { id: number; jobId: string | null; status: string }[];
    };
    const run = runs.runs.find((r) => r.jobId === job_id);
    expect(run?.status).toBe("SUCCEEDED");
  });

  it("GET/DELETE /api/jobs/:id: 404 naming an unknown job, cancel, 409 for a finished one", async () => {
    const missing = expectError(await get("/api/jobs/no-such-job"), 404, { entity: "job", job: "no-such-job" });
    expect(missing.error).toContain("no-such-job");
    expectError(await call(base(), "DELETE", "/api/jobs/no-such-job"), 404, { entity: "job" });
    expectError(await get("/api/jobs/no-such-job/events"), 404, { entity: "job" });
    expectError(await get("/api/jobs?kind=nope"), 400, { field: "kind" });

    const started = (await post("/api/train-all")).body as { job_id: string };
    const cancel = await call(base(), "DELETE", `/api/jobs/${started.job_id}`);
    if (cancel.status === 409) {
      // It finished before the cancel arrived (6 series train in about a second): nothing to stop.
      expect((cancel.body as ErrorBody).details).toMatchObject({ status: "SUCCEEDED" });
    } else {
      expect([200, 202]).toContain(cancel.status);
      expect((cancel.body as { cancelled: boolean }).cancelled).toBe(true);
      expect((await waitForJob(base(), started.job_id)).status).toBe("STOPPED");
    }
    const finished = await waitForJob(base(), started.job_id);
    expectError(await call(base(), "DELETE", `/api/jobs/${started.job_id}`), 409, { status: finished.status });
    // The stream of a finished job is its final state, then the end.
    const { events } = await readEvents(`${base()}/api/jobs/${started.job_id}/events`);
    expect(events).toHaveLength(1);
    expect(events[0]!.status).toBe(finished.status);
  });

  // --- pipeline runs ----------------------------------------------------------------------------

  it("GET /api/pipeline-runs and /api/pipeline-runs/:id; 404 and 400", async () => {
    const list = await get("/api/pipeline-runs?limit=3");
    expect(list.status).toBe(200);
    const runs = (list.body as { runs: { id: number; kind: string }[] }).runs;
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.length).toBeLessThanOrEqual(3);
    const retrains = (await get("/api/pipeline-runs?kind=retrain")).body as { runs: { kind: string }[] };
    expect(retrains.runs.length).toBeGreaterThan(0);
    expect(retrains.runs.every((r) => r.kind === "retrain")).toBe(true);
    const one = await get(`/api/pipeline-runs/${runs[0]!.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: runs[0]!.id, kind: runs[0]!.kind });
    expectError(await get("/api/pipeline-runs/99999999"), 404, { entity: "pipeline-run" });
    expectError(await get("/api/pipeline-runs/abc"), 400, { field: "id" });
    expectError(await get("/api/pipeline-runs?limit=-1"), 400, { field: "limit" });
  });

  it("POST /api/pipeline-runs/:id/retry: 409 for a succeeded run, 404 for an unknown one, 202 for a stopped or failed one", async () => {
    const runs = (await get("/api/pipeline-runs?limit=100")).body as { runs: { id: number; status: string }[] };
    const succeeded = runs.runs.find((r) => r.status === "SUCCEEDED")!;
    expectError(await post(`/api/pipeline-runs/${succeeded.id}/retry`), 409, { status: "SUCCEEDED" });
    expectError(await post("/api/pipeline-runs/99999999/retry"), 404, { entity: "pipeline-run" });
    const retryable = runs.runs.find((r) => r.status === "FAILED" || r.status === "STOPPED");
    if (retryable) {
      const res = await post(`/api/pipeline-runs/${retryable.id}/retry`);
      expect([202, 409], JSON.stringify(res.body)).toContain(res.status);
      if (res.status === 202) {
        const { job_id } = res.body as { job_id: string };
        expect(FINAL).toContain((await waitForJob(base(), job_id)).status);
      }
    }
  });

  // --- the rest ---------------------------------------------------------------------------------

  it("GET /api/accuracy and /api/accuracy/:store/:product: realized accuracy; 400 naming the field, 404 an unknown series", async () => {
    const fleet = await get("/api/accuracy?days=14");
    expect(fleet.status).toBe(200);
    expect(fleet.body).toMatchObject({ days: expect.any(Array), last7: { scored: expect.any(Number) } });
    const one = await get(`/api/accuracy/1/${PRODUCT}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ store: 1, product: PRODUCT, weeks: expect.any(Array), days: expect.any(Array) });
    expectError(await get("/api/accuracy?days=0"), 400, { field: "days" });
    expectError(await get("/api/accuracy?days=abc"), 400, { field: "days" });
    expectError(await get("/api/accuracy?days=367"), 400, { field: "days" });
    expectError(await get(`/api/accuracy/1/${PRODUCT}?weeks=105`), 400, { field: "weeks" });
    expectError(await get(`/api/accuracy/abc/${PRODUCT}`), 400, { field: "store" });
    expectError(await get(`/api/accuracy/999/${PRODUCT}`), 404, { store: 999 });
    expectError(await get("/api/accuracy/1/no_such_product"), 404, { product: "no_such_product" });
    expect((await call(base(), "POST", "/api/accuracy")).status).toBe(405);
  });

  it("serves an OpenAPI 3.1 document naming every route", async () => {
    const res = await get("/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const expected: [string, string][] = [
      ["/api/stores", "get"],
      ["/api/stores/{store}", "get"],
      ["/api/forecasts/{store}/{product}", "get"],
      ["/api/forecasts/{store}/{product}", "post"],
      ["/api/models/{store}/{product}/retrain", "post"],
      ["/api/models/{store}/{product}/versions", "get"],
      ["/api/models/{store}/{product}/versions/{version}/promote", "post"],
      ["/api/train-all", "post"],
      ["/api/retention", "post"],
      ["/api/anomalies", "get"],
      ["/api/anomalies", "post"],
      ["/api/jobs", "get"],
      ["/api/jobs/{id}", "get"],
      ["/api/jobs/{id}", "delete"],
      ["/api/jobs/{id}/events", "get"],
      ["/api/pipeline-runs", "get"],
      ["/api/pipeline-runs/{id}", "get"],
      ["/api/pipeline-runs/{id}/retry", "post"],
      ["/api/schedules", "get"],
      ["/api/schedules/{name}/pause", "post"],
      ["/api/schedules/{name}/resume", "post"],
      ["/api/schedules/{name}/run", "post"],
      ["/api/batch-forecast", "post"],
      ["/api/ingest-daily", "post"],
      ["/api/trainers/train", "post"],
      ["/api/trainers/{store_id}/{product_name}/train", "post"],
      ["/api/trainers/training_job_status/{id}", "get"],
      ["/api/forecasters/forecast", "post"],
      ["/api/forecasters/health", "get"],
      ["/api/forecasters/openapi.json", "get"],
      ["/api/trainers/openapi.json", "get"],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it("answers an unknown API path with a JSON 404 and a wrong method with 405", async () => {
    expectError(await get("/api/no/such/thing"), 404, { entity: "endpoint" });
    expectError(await post("/api/stores"), 405, { allowed: ["GET"] });
  });

  // --- the declared contract, live ----------------------------------------------------------------

  it("answers every documented path and method with a documented success that parses with its declared schema", async () => {
    const doc = (await get("/api/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const stores = ((await get("/api/stores")).body as { stores: { store: number; lastDate: string }[] }).stores;
    const series = `${stores[0]!.store}/${PRODUCT}`;
    const other = `${stores[1]!.store}/${PRODUCT}`;
    const begin = addDays(stores[0]!.lastDate, 1);
    const runId = ((await get("/api/pipeline-runs?limit=1")).body as { runs: { id: number }[] }).runs[0]!.id;
    // A finished job to read, and every job the cases start, to wait for at the end.
    const started: string[] = [];
    const jobId = ((await post(`/api/models/${series}/retrain`)).body as { job_id: string }).job_id;
    await waitForJob(base(), jobId);

    /** With one job at a time, a retrain enqueued behind a train-all waits: cancelling it is a success (200). */
    const cancelWaitingJob = async () => {
      for (let attempt = 1; ; attempt++) {
        started.push(((await post("/api/train-all")).body as { job_id: string }).job_id);
        const waiting = ((await post(`/api/models/${other}/retrain`)).body as { job_id: string }).job_id;
        started.push(waiting);
        const res = await call(base(), "DELETE", `/api/jobs/${waiting}`);
        if (res.status !== 409 || attempt === 5) return res;
      }
    };
    /** A failed or stopped run of a kind that retries as a job; else a train-all cancelled while running makes one. */
    const retryableRun = async (): Promise<number> => {
      const kinds = ["train-all", "train-weekly", "retrain", "batch-forecast", "ingest-daily"];
      for (let attempt = 1; attempt <= 5; attempt++) {
        const runs = ((await get("/api/pipeline-runs?limit=100")).body as { runs: RunBody[] }).runs;
        const run = runs.find((r) => kinds.includes(r.kind) && (r.status === "FAILED" || r.status === "STOPPED"));
        if (run) return run.id;
        const id = ((await post("/api/train-all")).body as { job_id: string }).job_id;
        started.push(id);
        const deadline = Date.now() + 60_000;
        while (
          ((await get(`/api/jobs/${id}`)).body as { status: string }).status === "PENDING" &&
          Date.now() < deadline
        ) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await call(base(), "DELETE", `/api/jobs/${id}`);
        await waitForJob(base(), id);
      }
      throw new Error("no failed or stopped pipeline run to retry, and none could be made");
    };
    const events = async (id: string) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 30_000);
      try {
        const res = await fetch(`${base()}/api/jobs/${id}/events`, { signal: abort.signal });
        const body: unknown[] = [];
        if (res.ok) {
          // A finished job: its final state, then the end of the stream.
          const stream = sseEvents<unknown>(res.body!);
          for (let e = await stream.next(); e; e = await stream.next()) body.push(e);
        }
        return { status: res.status, body, headers: res.headers };
      } finally {
        clearTimeout(timer);
      }
    };

    const cases: Record<string, () => Promise<{ status: number; body: unknown; headers: Headers }>> = {
      "GET /api/stores": () => get("/api/stores?limit=3"),
      "GET /api/stores/{store}": () => get(`/api/stores/${stores[0]!.store}`),
      "GET /api/forecasts/{store}/{product}": () => get(`/api/forecasts/${series}`),
      "POST /api/forecasts/{store}/{product}": () =>
        post(`/api/forecasts/${series}`, { begin, end: addDays(begin, 9) }),
      "POST /api/models/{store}/{product}/retrain": () => post(`/api/models/${series}/retrain`),
      "GET /api/models/{store}/{product}/versions": () => get(`/api/models/${series}/versions`),
      "POST /api/models/{store}/{product}/versions/{version}/promote": async () => {
        const list = (await get(`/api/models/${series}/versions`)).body as { productionVersion: number };
        return post(`/api/models/${series}/versions/${list.productionVersion}/promote`);
      },
      "POST /api/train-all": () => post("/api/train-all"),
      "POST /api/retention": () => post("/api/retention"),
      "GET /api/anomalies": () => get("/api/anomalies"),
      "POST /api/anomalies": () => post("/api/anomalies"),
      "GET /api/jobs": () => get("/api/jobs?limit=50"),
      "GET /api/jobs/{id}": () => get(`/api/jobs/${jobId}`),
      "DELETE /api/jobs/{id}": cancelWaitingJob,
      "GET /api/jobs/{id}/events": () => events(jobId),
      "GET /api/pipeline-runs": () => get("/api/pipeline-runs?limit=50"),
      "GET /api/pipeline-runs/{id}": () => get(`/api/pipeline-runs/${runId}`),
      "POST /api/pipeline-runs/{id}/retry": async () => post(`/api/pipeline-runs/${await retryableRun()}/retry`),
      "GET /api/tokens": () => get("/api/tokens"),
      "POST /api/tokens": () => post("/api/tokens", { name: "contract case", role: "viewer" }),
      "DELETE /api/tokens/{id}": async () => {
        const created = (await post("/api/tokens", { name: "to revoke", role: "planner" })).body as { id: number };
        return call(base(), "DELETE", `/api/tokens/${created.id}`);
      },
      "GET /api/audit": () => get("/api/audit?limit=20"),
      "GET /api/drift": () => get("/api/drift?limit=20"),
      "POST /api/drift-check": () => post("/api/drift-check"),
      "GET /api/schedules": () => get("/api/schedules"),
      // Declared in this order: paused, then resumed (the server's schedules end as they began).
      "POST /api/schedules/{name}/pause": () => post("/api/schedules/anomaly-scan/pause"),
      "POST /api/schedules/{name}/resume": () => post("/api/schedules/anomaly-scan/resume"),
      "POST /api/schedules/{name}/run": () => post("/api/schedules/ingest-daily/run"),
      "POST /api/batch-forecast": () => post("/api/batch-forecast"),
      "POST /api/ingest-daily": () => post("/api/ingest-daily", { day: stores[0]!.lastDate }),
      "GET /api/accuracy": () => get("/api/accuracy"),
      "GET /api/accuracy/{store}/{product}": () => get(`/api/accuracy/${series}?weeks=2`),
      "GET /api/openapi.json": () => get("/api/openapi.json"),
      "POST /api/trainers/train": () => post("/api/trainers/train"),
      "POST /api/trainers/{store_id}/{product_name}/train": () => post(`/api/trainers/${series}/train`),
      "GET /api/trainers/training_job_status/{id}": () => get(`/api/trainers/training_job_status/${jobId}`),
      "POST /api/forecasters/forecast": () =>
        post("/api/forecasters/forecast", [
          { store_id: stores[0]!.store, product_name: PRODUCT },
          {
            store_id: String(stores[1]!.store),
            product_name: PRODUCT,
            begin_date: `${begin}T00:00:00Z`,
            end_date: `${addDays(begin, 3)}T00:00:00Z`,
          },
        ]),
      "GET /api/forecasters/health": () => get("/api/forecasters/health"),
      "GET /api/forecasters/openapi.json": () => get("/api/forecasters/openapi.json"),
      "GET /api/trainers/openapi.json": () => get("/api/trainers/openapi.json"),
    };

    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // A new endpoint needs a case here, and a case must not outlive its endpoint.
    expect(
      documented.filter((key) => !cases[key]),
      "documented without a live case",
    ).toEqual([]);
    expect(
      Object.keys(cases).filter((key) => !documented.includes(key)),
      "cases of no documented endpoint",
    ).toEqual([]);

    for (const key of documented) {
      const endpoint = API_ENDPOINTS.find((e) => `${e.method.toUpperCase()} ${e.path}` === key);
      expect(endpoint, `${key} is declared`).toBeDefined();
      const res = await cases[key]!();
      const reply = endpoint!.responses[res.status];
      const what = `${key} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`;
      expect(res.status >= 200 && res.status < 300 && reply !== undefined, what).toBe(true);
      for (const name of Object.keys(reply!.headers ?? {}))
        expect(res.headers.get(name), `${key}: ${name}`).toBeTruthy();
      if (reply!.events) {
        expect(res.headers.get("content-type"), key).toMatch(/^text\/event-stream/);
        expect((res.body as unknown[]).length, key).toBeGreaterThan(0);
        for (const event of res.body as unknown[]) expectParses(reply!.events, event, `${key} event`);
      } else {
        expect(res.headers.get("content-type"), key).toMatch(/^application\/json/);
        expectParses(reply!.body!, res.body, what);
      }
      for (const field of ["job_id", "train_job_id"]) {
        const id = (res.body as Record<string, unknown> | null)?.[field];
        if (typeof id === "string") started.push(id);
      }
    }
    // Leave no job of these cases running for the cases after.
    for (const id of started) expect(FINAL).toContain((await waitForJob(base(), id)).status);
  });
}

interface RunBody {
  id: number;
  kind: string;
  status: string;
}

function expectParses(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  expect(parsed.success, parsed.success ? what : `${what}\n${z.prettifyError(parsed.error)}`).toBe(true);
}
