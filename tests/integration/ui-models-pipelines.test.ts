/**
 * The Models and Pipelines pages as a browser without JavaScript sees them: HTML from the real
 * server process (production build, PGlite, in-process queue, a small generated data set trained
 * on start), and their forms posted as plain form submissions.
 */

import { type HTMLElement, parse } from "node-html-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf } from "../support/auth.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { waitForJob, waitForTrainAll } from "../support/training.js";

const STORES = 5;
const PRODUCT = "product_A";

describe("Models and Pipelines pages without JavaScript", () => {
  const dataDir = tempDir("ui-models");
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      GENERATE_STORES: String(STORES),
      GENERATE_DAYS: "60",
      GENERATE_SEED: "11",
      STREAM_PRODUCER: "false",
    });
    await waitForTrainAll(server.url, { series: STORES });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  /** A page's status, DOM, and its visible text (React splits text with comments in the raw HTML). */
  async function page(path: string): Promise<{ status: number; doc: HTMLElement; html: string; words: string }> {
    const res = await fetch(`${server.url}${path}`);
    const html = await res.text();
    const doc = parse(html);
    return { status: res.status, doc, html, words: text(doc.querySelector("main") ?? doc) };
  }

  /**
   * A form post as a browser sends it, with the CSRF token the pages carry; redirects are not
   * followed, so the 303 can be checked.
   */
  let token: string | undefined;
  async function post(path: string, fields: Record<string, string>): Promise<Response> {
    // Read once: two posts must follow each other as closely as two clicks.
    token ??= csrfOf(await (await fetch(`${server.url}/pipelines`)).text());
    const _csrf = token;
    return fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf, ...fields }).toString(),
      redirect: "manual",
    });
  }

  const text = (el: HTMLElement | null | undefined) => el?.text.replace(/\s+/g, " ").trim() ?? "";
  const productionVersion = (doc: HTMLElement) => text(doc.querySelector('[data-testid="production-version"]'));
  const promoteButtons = (doc: HTMLElement) =>
    doc
      .querySelectorAll("button")
      .map(text)
      .filter((t) => t.startsWith("Promote version"));

  async function retrain(store: number): Promise<void> {
    const res = await fetch(`${server.url}/api/models/${store}/${PRODUCT}/retrain`, { method: "POST" });
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    expect((await waitForJob(server.url, job_id)).status).toBe("SUCCEEDED");
  }

  describe("/models", () => {
    it("lists every series with its production version and CV RMSPE, each linking to its versions", async () => {
      const { status, doc } = await page("/models");
      expect(status).toBe(200);
      expect(text(doc.querySelector("h1"))).toBe("Models");
      const rows = doc.querySelectorAll('[data-testid="model-rows"] tr');
      expect(rows).toHaveLength(STORES);
      for (const [i, row] of rows.entries()) {
        const cells = row.querySelectorAll("th, td").map(text);
        expect(cells[0]).toBe(String(i + 1));
        expect(cells[1]).toBe(PRODUCT);
        expect(Number(cells[2])).toBeGreaterThanOrEqual(1);
        // RMSPE of a trained model: a ratio with three decimals.
        expect(cells[3]).toMatch(/^\d\.\d{3}$/);
        expect(row.querySelector("a")?.getAttribute("href")).toBe(`/models/${i + 1}/${PRODUCT}`);
      }
      expect(text(doc.querySelector('[aria-live="polite"]'))).toBe(`${STORES} models in production; page 1 of 1.`);
      // The search form is a labelled GET form: it works without JavaScript.
      const input = doc.querySelector("input#models-q");
      expect(input?.getAttribute("name")).toBe("q");
      expect(text(doc.querySelector('label[for="models-q"]'))).toBe("Find a model by store number");
      expect(doc.querySelector('form[role="search"]')?.getAttribute("method")).toBe("get");
    });

    it("searches by store-number prefix and sorts by worst RMSPE", async () => {
      const one = await page("/models?q=3");
      expect(one.doc.querySelectorAll('[data-testid="model-rows"] tr').map((r) => text(r.querySelector("th")))).toEqual(
        ["3"],
      );
      const none = await page("/models?q=9");
      expect(none.doc.querySelectorAll('[data-testid="model-rows"] tr')).toHaveLength(0);
      expect(none.words).toContain("No model for a store number starting with 9.");

      const sorted = await page("/models?sort=rmspe");
      const rmspe = sorted.doc
        .querySelectorAll('[data-testid="model-rows"] tr')
        .map((r) => Number(text(r.querySelectorAll("td")[2])));
      expect(rmspe).toHaveLength(STORES);
      expect(rmspe).toEqual([...rmspe].sort((a, b) => b - a));
      expect(sorted.doc.querySelector('select[name="sort"] option[selected]')?.getAttribute("value")).toBe("rmspe");
    });

    it("explains a bad search next to the field, and survives bad paging and sorting", async () => {
      const bad = await page("/models?q=abc&sort=nonsense&page=-4");
      expect(bad.status).toBe(200);
      const input = bad.doc.querySelector("input#models-q");
      expect(input?.getAttribute("aria-invalid")).toBe("true");
      expect(input?.getAttribute("aria-describedby")).toBe("models-q-error");
      expect(text(bad.doc.querySelector("#models-q-error"))).toMatch(/digits only/);
      expect(bad.doc.querySelectorAll('[data-testid="model-rows"] tr')).toHaveLength(STORES);
      const far = await page("/models?page=999");
      expect(far.status).toBe(200);
      expect(far.doc.querySelectorAll('[data-testid="model-rows"] tr')).toHaveLength(STORES);
    });
  });

  describe("/models/:store/:product", () => {
    it("shows every version with stage, metrics and training window, and a promote button per archived one", async () => {
      await retrain(2);
      await retrain(2);
      const { status, doc } = await page(`/models/2/${PRODUCT}`);
      expect(status).toBe(200);
      expect(productionVersion(doc)).toBe("3");
      const rows = doc
        .querySelectorAll('[data-testid="version-rows"] tr')
        .map((r) => r.querySelectorAll("th, td").map(text));
      expect(rows.map((r) => [r[0], r[1]])).toEqual([
        ["3", "production"],
        ["2", "archived"],
        ["1", "archived"],
      ]);
      for (const r of rows) {
        expect(r[2]).toMatch(/^\d\.\d{3}$/); // CV RMSPE
        expect(r[6]).toMatch(/^\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}$/); // training window
      }
      expect(promoteButtons(doc)).toEqual(["Promote version 2", "Promote version 1"]);
      // The promote button only leads to the confirm step (a GET): nothing changes yet.
      const form = doc.querySelectorAll("form").find((f) => text(f).includes("Promote version 1"));
      expect(form?.getAttribute("method")).toBe("get");
      expect(form?.querySelector('input[name="confirm"]')?.getAttribute("value")).toBe("1");
      expect(doc.querySelector(`a[href="/stores/2?product=${PRODUCT}"]`)).not.toBeNull();
    });

    it("asks for confirmation, then promotes an archived version by a plain form POST (rollback)", async () => {
      const confirm = await page(`/models/2/${PRODUCT}?confirm=1`);
      expect(productionVersion(confirm.doc)).toBe("3");
      const dialog = confirm.doc.querySelector("dialog");
      expect(dialog?.hasAttribute("open")).toBe(true);
      expect(text(dialog?.querySelector("h2"))).toBe("Promote version 1 to production?");
      const form = dialog?.querySelector("form");
      expect(form?.getAttribute("method")).toBe("post");
      expect(text(form?.querySelector("button"))).toBe("Confirm");
      const fields = Object.fromEntries(
        (form?.querySelectorAll("input[type=hidden]") ?? []).map((i) => [
          i.getAttribute("name")!,
          i.getAttribute("value")!,
        ]),
      );
      expect(fields).toEqual({ _csrf: expect.any(String), intent: "promote", version: "1" });

      const res = await post(`/models/2/${PRODUCT}`, fields);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/models/2/${PRODUCT}?promoted=1`);
      const after = await page(res.headers.get("location")!);
      expect(productionVersion(after.doc)).toBe("1");
      expect(text(after.doc.querySelector('[role="status"]'))).toBe("Version 1 is now in production.");
      expect(promoteButtons(after.doc)).toEqual(["Promote version 3", "Promote version 2"]);
      expect(after.doc.querySelector("dialog")).toBeNull();
      const api = (await (await fetch(`${server.url}/api/models/2/${PRODUCT}/versions`)).json()) as {
        productionVersion: number;
      };
      expect(api.productionVersion).toBe(1);
    });

    it("refuses a bad promotion with the reason on the page, changing nothing", async () => {
      const missing = await post(`/models/2/${PRODUCT}`, { intent: "promote", version: "99" });
      expect(missing.status).toBe(404);
      const missingDoc = parse(await missing.text());
      expect(text(missingDoc.querySelector('[role="alert"]'))).toBe(
        `Version 99 does not exist for store 2 ${PRODUCT}.`,
      );
      expect(productionVersion(missingDoc)).toBe("1");

      const garbage = await post(`/models/2/${PRODUCT}`, { intent: "promote", version: "1; DROP TABLE" });
      expect(garbage.status).toBe(400);
      expect(text(parse(await garbage.text()).querySelector('[role="alert"]'))).toMatch(/positive integer/);

      const noVersion = await post(`/models/2/${PRODUCT}`, { intent: "promote" });
      expect(noVersion.status).toBe(400);

      const otherIntent = await post(`/models/2/${PRODUCT}`, { intent: "delete", version: "1" });
      expect(otherIntent.status).toBe(400);
      expect(text(parse(await otherIntent.text()).querySelector('[role="alert"]'))).toMatch(/only promotes/);

      const unknownSeries = await post(`/models/999/${PRODUCT}`, { intent: "promote", version: "1" });
      expect(unknownSeries.status).toBe(404);

      // A body that is not a form is a 400 with the reason, not a 500.
      const json = await fetch(`${server.url}/models/2/${PRODUCT}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"intent":"promote","version":1}',
      });
      expect(json.status).toBe(400);
      expect(text(parse(await json.text()).querySelector('[role="alert"]'))).toMatch(/could not be read/);

      expect(productionVersion((await page(`/models/2/${PRODUCT}`)).doc)).toBe("1");
    });

    it("confirms nothing for a version that does not exist or is already in production", async () => {
      const none = await page(`/models/2/${PRODUCT}?confirm=42`);
      expect(none.doc.querySelector("dialog")).toBeNull();
      expect(none.words).toContain("There is no version 42 of this model.");
      const current = await page(`/models/2/${PRODUCT}?confirm=1`);
      expect(current.doc.querySelector("dialog")).toBeNull();
      expect(current.words).toContain("Version 1 is already in production.");
      const junk = await page(`/models/2/${PRODUCT}?confirm=abc`);
      expect(junk.status).toBe(200);
      expect(junk.doc.querySelector("dialog")).toBeNull();
    });

    it("answers 404 pages for series that do not exist", async () => {
      for (const path of [`/models/999/${PRODUCT}`, "/models/2/product_Z", "/models/abc/product_A", "/models/0/x"]) {
        const { status, html } = await page(path);
        expect(status, path).toBe(404);
        expect(html).toContain("<html");
      }
      // The page says what is missing.
      expect((await page(`/models/999/${PRODUCT}`)).words).toContain("999");
      expect((await page("/models/2/product_Z")).words).toContain("product_Z");
    });
  });

  describe("/pipelines", () => {
    it("lists runs with kind, status, start, duration, counts and error", async () => {
      const { status, doc } = await page("/pipelines");
      expect(status).toBe(200);
      expect(text(doc.querySelector("h1"))).toBe("Pipelines");
      const rows = doc
        .querySelectorAll('[data-testid="run-rows"] tr')
        .map((r) => r.querySelectorAll("th, td").map(text));
      // Newest first: the two retrains above, then the initial train-all.
      const trainAll = rows.find((r) => r[1] === "train-all");
      expect(trainAll).toBeDefined();
      expect(trainAll?.[2]).toBe("SUCCEEDED");
      expect(trainAll?.[3]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
      expect(trainAll?.[4]).toMatch(/^\d+(\.\d)? (ms|s)$|min/);
      expect(trainAll?.[5]).toContain(`series ${STORES}, trained ${STORES}, skipped 0, failed 0`);
      expect(trainAll?.[6]).toBe("–");
      expect(rows.filter((r) => r[1] === "retrain")).toHaveLength(2);
      const ids = rows.map((r) => Number(r[0]));
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      // The durations chart is drawn in the browser; without JavaScript its fallback says so.
      expect(doc.querySelector('[role="img"]')?.getAttribute("aria-label")).toMatch(
        /^Pipeline run durations over time/,
      );
      expect(text(doc.querySelector('[data-testid="chart-fallback"]'))).toMatch(/needs JavaScript/);
    });

    it("links each run to its page, which reads without JavaScript: facts, steps, counts, log, confirm step", async () => {
      const { doc } = await page("/pipelines?kind=train-all");
      const href = doc.querySelector('[data-testid="run-rows"] tr th a')?.getAttribute("href") ?? "";
      expect(href).toMatch(/^\/pipelines\/\d+$/);
      const run = await page(href);
      expect(run.status).toBe(200);
      expect(text(run.doc.querySelector("h1"))).toMatch(/^Run \d+: train-all SUCCEEDED$/);
      expect(text(run.doc.querySelector('[data-testid="run-trigger"]'))).toContain("start-up");
      expect(run.doc.querySelectorAll('[data-testid="step-rows"] tr').map((r) => text(r.querySelector("th")))).toEqual([
        "load",
        "train",
      ]);
      expect(text(run.doc.querySelector('[data-testid="run-counts"]'))).toContain(`trained ${STORES}`);
      const lines = run.doc.querySelectorAll('[data-testid="log-lines"] li');
      expect(lines.filter((l) => text(l).includes("product_A trained"))).toHaveLength(STORES);
      expect(text(lines.at(-1))).toContain("run succeeded");
      // A succeeded run offers neither button, and a confirm state for it shows no form.
      const confirm = await page(`${href}?confirm=retry`);
      expect(confirm.doc.querySelector('[data-testid="confirm-form"]')).toBeNull();
      expect(confirm.words).toContain("This run succeeded: nothing to retry or cancel.");
      const bogus = await page(`${href}?level=loud`);
      expect(bogus.status).toBe(200);
      expect(text(bogus.doc.querySelector('[data-testid="level-note"]'))).toContain('"loud" is not a log level');
      const warn = await page(`${href}?level=warn`);
      expect(warn.words).toContain("No line at this level.");
      const missing = await page("/pipelines/987654");
      expect(missing.status).toBe(404);
      expect(missing.words).toContain("There is no pipeline run 987654");
    });

    it("filters runs by kind", async () => {
      const { doc } = await page("/pipelines?kind=retrain");
      const kinds = doc.querySelectorAll('[data-testid="run-rows"] tr').map((r) => text(r.querySelectorAll("td")[0]));
      expect(kinds).toEqual(["retrain", "retrain"]);
      const unknown = await page("/pipelines?kind=<script>&page=abc");
      expect(unknown.status).toBe(200);
      expect(unknown.doc.querySelectorAll('[data-testid="run-rows"] tr').length).toBeGreaterThanOrEqual(3);
    });

    it("starts a train-all from the form, follows it on the page, and a second click joins it", async () => {
      const { doc } = await page("/pipelines");
      const form = doc.querySelectorAll("form").find((f) => text(f).includes("Train all stores"));
      expect(form?.getAttribute("method")).toBe("post");
      expect(form?.querySelector('input[name="intent"]')?.getAttribute("value")).toBe("train-all");

      const first = await post("/pipelines", { intent: "train-all" });
      expect(first.status).toBe(303);
      const location = first.headers.get("location") ?? "";
      const jobId = new URLSearchParams(location.split("?")[1]).get("job") ?? "";
      expect(location).toBe(`/pipelines?job=${jobId}`);
      // Queued or running: a second click joins the same job instead of queueing another.
      const second = await post("/pipelines", { intent: "train-all" });
      expect(second.status).toBe(303);
      expect(second.headers.get("location")).toBe(`/pipelines?job=${jobId}&joined=1`);

      const following = await page(location);
      const bar = following.doc.querySelector('[role="progressbar"]');
      const finishedEarly = following.words.includes("Train-all finished");
      // On a loaded machine the 5 series may already be done by now; otherwise the bar shows.
      if (!finishedEarly) {
        expect(bar?.getAttribute("aria-label")).toBe("Train-all progress");
        expect(text(following.doc.querySelector('[role="status"]'))).toMatch(/Train-all is|Training every series/);
      }

      const job = await waitForJob(server.url, jobId);
      expect(job.status).toBe("SUCCEEDED");
      const done = await page(location);
      expect(done.doc.querySelector('[role="progressbar"]')).toBeNull();
      expect(text(done.doc.querySelector('[role="status"]'))).toMatch(
        new RegExp(`^Train-all finished in .+: ${STORES} trained, 0 skipped, 0 failed\\.$`),
      );
      const trainAlls = done.doc
        .querySelectorAll('[data-testid="run-rows"] tr')
        .filter((r) => text(r.querySelectorAll("td")[0]) === "train-all");
      expect(trainAlls).toHaveLength(2);
    });

    it("refuses an unknown action and explains an unknown job", async () => {
      const res = await post("/pipelines", { intent: "drop-everything" });
      expect(res.status).toBe(400);
      expect(text(parse(await res.text()).querySelector('[role="alert"]'))).toMatch(
        /starts a train-all, its second applies the retention policy/,
      );
      const json = await fetch(`${server.url}/pipelines`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"intent":"train-all"}',
      });
      expect(json.status).toBe(400);
      expect(text(parse(await json.text()).querySelector('[role="alert"]'))).toMatch(/could not be read/);
      const unknown = await page("/pipelines?job=no-such-job");
      expect(unknown.status).toBe(200);
      expect(unknown.words).toContain("Job no-such-job is not a train-all this server knows");
      expect(unknown.doc.querySelector('[role="progressbar"]')).toBeNull();
    });

    it("shows the retention policy and its schedule, applies it from its form and shows what the run deleted", async () => {
      const before = await page("/pipelines");
      const panel = text(before.doc.querySelector('[data-testid="retention"]'));
      expect(panel).toContain("every day on its schedule (30 3 * * * UTC)");
      expect(panel).toContain(
        "model versions: the production one, the 5 newest others and any younger than 30 days are kept",
      );
      expect(panel).toContain("finished pipeline runs older than 90 days (the newest of each kind is kept)");
      expect(panel).toContain("No retention run yet.");
      const form = before.doc.querySelectorAll("form").find((f) => text(f).includes("Apply retention now"));
      expect(form?.querySelector('input[name="intent"]')?.getAttribute("value")).toBe("retention");

      const res = await post("/pipelines", { intent: "retention" });
      expect(res.status).toBe(303);
      const location = res.headers.get("location") ?? "";
      const jobId = new URLSearchParams(location.split("?")[1]).get("retention") ?? "";
      expect(location).toBe(`/pipelines?retention=${jobId}`);
      expect((await waitForJob(server.url, jobId)).status).toBe("SUCCEEDED");

      const after = await page(location);
      expect(text(after.doc.querySelector('[data-testid="retention"] [role="status"]'))).toMatch(
        /^Retention job finished/,
      );
      const last = text(after.doc.querySelector('[data-testid="retention-last"]'));
      expect(last).toMatch(/^Last run \d+, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC:\s?SUCCEEDED/);
      // Nothing here is old enough to go; each kind is counted all the same.
      for (const kind of [
        "model versions 0",
        "forecast rows 0",
        "pipeline runs 0",
        "stream rejects 0",
        "job records 0",
      ]) {
        expect(text(after.doc.querySelector('[data-testid="retention-counts"]'))).toContain(kind);
      }
      const kinds = (await page("/pipelines?kind=retention")).doc
        .querySelectorAll('[data-testid="run-rows"] tr')
        .map((r) => text(r.querySelectorAll("td")[0]));
      expect(kinds).toEqual(["retention"]);
    });
  });
});
