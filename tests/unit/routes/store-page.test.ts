/**
 * The store page's loader and action called as Remix calls them, on in-memory PGlite and the real
 * in-process queue: the failure paths a server test cannot easily reach (a queue that refuses
 * jobs), and the shape of what the page gets. tests/integration/ui-pages.test.ts covers the pages
 * over HTTP.
 */

import type { AppLoadContext } from "@remix-run/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfToken } from "../../../app/auth/csrf.server.js";
import { OPEN_PRINCIPAL } from "../../../app/auth/principal.js";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import type { JobQueue } from "../../../app/jobs/port.js";
import { loadConfig } from "../../../app/platform/config.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { action, loader } from "../../../app/routes/_pages+/stores.$store.js";

const STORE = 4;
const log = pino({ level: "silent" });

interface DataResult<T> {
  data: T;
  init: { status?: number } | null;
}

async function seed(db: Database): Promise<void> {
  await db.sql.query("INSERT INTO stores (store, store_type, assortment) VALUES ($1, 'b', 'c')", [STORE]);
  await db.sql.query(
    `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
     SELECT $1, p, d::date, extract(isodow FROM d)::int, 1000, 10, 1, 0, '0', 0
       FROM unnest(ARRAY['product_A', 'product_B']) p, generate_series('2026-01-01'::date, '2026-03-31'::date, interval '1 day') d`,
    [STORE],
  );
}

/** The page's forms carry the CSRF token of the session (none: auth is off in these tests). */
const SIGNING_KEY = "unit-test-signing-key-of-32-characters";
const AUTH = { principal: OPEN_PRINCIPAL, signingKey: SIGNING_KEY, sessionId: null };

function post(body: Record<string, string>, type = "application/x-www-form-urlencoded"): Request {
  const withToken = { ...body, _csrf: csrfToken(SIGNING_KEY, null) };
  return new Request(`http://localhost/stores/${STORE}`, {
    method: "POST",
    headers: { "Content-Type": type },
    body: type.includes("urlencoded") ? new URLSearchParams(withToken).toString() : JSON.stringify(withToken),
  });
}

async function thrown(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Response) return err;
    throw err;
  }
  throw new Error("expected a thrown Response");
}

describe("store page route", () => {
  let db: Database;
  let jobs: JobQueue;
  // The default configuration: a 60 s retrain cooldown.
  const config = loadConfig({});
  const context = () => ({ db, jobs, log, config, ...AUTH }) as unknown as AppLoadContext;
  const load = (query: string, store = String(STORE)) =>
    loader({ request: new Request(`http://localhost/stores/${store}${query}`), params: { store }, context: context() });

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    await seed(db);
    // No workers: a Retrain stays queued, which is what the page shows while it waits.
    jobs = createInProcessQueue();
  });
  afterAll(async () => {
    await jobs?.close(1000);
    await db?.close();
  });

  it("loads the first product by default, 8 weeks of sales, and no model or forecast before training", async () => {
    const result = (await load("")) as unknown as DataResult<Awaited<ReturnType<typeof loader>>["data"]>;
    expect(result.init?.status).toBe(200);
    const page = result.data;
    expect(page).toMatchObject({
      store: STORE,
      storeType: "b",
      products: ["product_A", "product_B"],
      product: "product_A",
    });
    expect(page.chart.actuals).toHaveLength(56);
    expect(page.chart.actuals.at(-1)?.date).toBe("2026-03-31");
    expect(page.chart.weekly).toBeNull();
    expect(page.card).toBeNull();
    expect(page.job).toBeNull();
    expect(page.adhoc).toMatchObject({ requested: false, errors: null, forecast: null, maxDays: 365 });
  });

  it("answers a forecast request for a series without a model with a message, not a crash", async () => {
    const result = (await load("?product=product_B&begin=2026-04-01&end=2026-04-07")) as unknown as DataResult<
      Awaited<ReturnType<typeof loader>>["data"]
    >;
    expect(result.init?.status).toBe(400);
    expect(result.data.product).toBe("product_B");
    expect(result.data.adhoc.errors).toEqual({
      form: "This series has no trained model yet: retrain it first, then forecast.",
    });
  });

  it("shows a date outside the forecast window next to its field, with the window, before any forecast", async () => {
    type Page = DataResult<Awaited<ReturnType<typeof loader>>["data"]>;
    // Sales end 2026-03-31: forecasts may reach 2028-03-30.
    const far = (await load("?product=product_A&begin=9999-01-01&end=9999-01-07")) as unknown as Page;
    expect(far.init?.status).toBe(400);
    expect(far.data.adhoc.window).toEqual({ first: "2026-01-01", last: "2028-03-30" });
    expect(far.data.adhoc.errors).toEqual({
      begin:
        "Begin 9999-01-01 is outside the forecast window: 2026-01-01 to 2028-03-30 (the first sales day " +
        "to 730 days after the newest, 2026-03-31).",
    });
    const end = (await load("?product=product_A&begin=2028-03-01&end=2028-04-02")) as unknown as Page;
    expect(Object.keys(end.data.adhoc.errors ?? {})).toEqual(["end"]);
  });

  it("404s an unknown store or product with a sentence saying which", async () => {
    const unknownStore = await thrown(load("", "77"));
    expect(unknownStore.status).toBe(404);
    expect(await unknownStore.text()).toBe("There is no store 77: it has no sales history.");
    const unknownProduct = await thrown(load("?product=product_Q"));
    expect(unknownProduct.status).toBe(404);
    expect(await unknownProduct.text()).toContain("it sells product_A, product_B");
    expect((await thrown(load("", "12abc"))).status).toBe(404);
    expect((await thrown(load("", "99999999999"))).status).toBe(404);
  });

  it("Retrain enqueues one train-one job per series and redirects to its status, keeping the forecast dates", async () => {
    const first = (await action({
      request: post({ intent: "retrain", product: "product_B", begin: "2026-04-01", end: "2026-04-07" }),
      params: { store: String(STORE) },
      context: context(),
    })) as Response;
    expect(first.status).toBe(302);
    const location = new URL(first.headers.get("Location") ?? "", "http://localhost");
    expect(location.pathname).toBe(`/stores/${STORE}`);
    expect(location.searchParams.get("product")).toBe("product_B");
    expect(location.searchParams.get("begin")).toBe("2026-04-01");
    const jobId = location.searchParams.get("job")!;
    expect(await jobs.get(jobId)).toMatchObject({
      kind: "train-one",
      status: "PENDING",
      data: { store: STORE, productname: "product_B" },
    });
    // A second click while it waits joins the same job.
    const second = (await action({
      request: post({ intent: "retrain", product: "product_B" }),
      params: { store: String(STORE) },
      context: context(),
    })) as Response;
    expect(new URL(second.headers.get("Location") ?? "", "http://localhost").searchParams.get("job")).toBe(jobId);
    // The page then shows the job as queued.
    const page = (await load(`?product=product_B&job=${jobId}`)) as unknown as DataResult<
      Awaited<ReturnType<typeof loader>>["data"]
    >;
    expect(page.data.job).toEqual({ id: jobId, status: "PENDING", progress: null, error: null, version: null });
  });

  it("refuses a retrain in place (429, Retry-After) within the cooldown once the series' last one ended", async () => {
    const retrain = () =>
      action({
        request: post({ intent: "retrain", product: "product_B" }),
        params: { store: String(STORE) },
        context: context(),
      });
    // The retrain of the case above (or a new one) ends: cancelled while it waits.
    const first = (await retrain()) as Response;
    const jobId = new URL(first.headers.get("Location") ?? "", "http://localhost").searchParams.get("job")!;
    expect(await jobs.cancel(jobId)).toBe(true);
    const refused = (await retrain()) as unknown as DataResult<{ retrainError: string }> & {
      init: { headers?: Record<string, string> };
    };
    expect(refused.init?.status).toBe(429);
    expect(Number(refused.init.headers?.["Retry-After"])).toBeGreaterThanOrEqual(1);
    expect(refused.data.retrainError).toMatch(
      new RegExp(
        `^Not retrained: a retrain of store ${STORE} product_B was asked for less than 60 s ago \\(RETRAIN_COOLDOWN_S\\): retry in \\d+ s`,
      ),
    );
  });

  it("shows an error in place (503) when the queue refuses the job", async () => {
    const closed = createInProcessQueue();
    await closed.close(100);
    const result = (await action({
      request: post({ intent: "retrain", product: "product_A" }),
      params: { store: String(STORE) },
      context: { db, jobs: closed, log, config, ...AUTH } as unknown as AppLoadContext,
    })) as unknown as DataResult<{ retrainError: string }>;
    expect(result.init?.status).toBe(503);
    expect(result.data.retrainError).toMatch(/^The retrain could not be started: the job queue is closed\./);
  });

  it("refuses a form it does not know, or a body that is not a form, with 400", async () => {
    const unknown = (await action({
      request: post({ intent: "drop" }),
      params: { store: String(STORE) },
      context: context(),
    })) as unknown as DataResult<{ retrainError: string }>;
    expect(unknown.init?.status).toBe(400);
    const notForm = (await action({
      request: post({ intent: "retrain" }, "application/json"),
      params: { store: String(STORE) },
      context: context(),
    })) as unknown as DataResult<{ retrainError: string }>;
    expect(notForm.init?.status).toBe(400);
    expect(notForm.data.retrainError).toMatch(/could not be read/);
  });
});
