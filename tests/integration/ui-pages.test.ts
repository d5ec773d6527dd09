import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelTasksSeen } from "../support/api-cases.js";
import { csrfOf } from "../support/auth.js";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

// The web pages as a browser without JavaScript gets them: HTML from the production server
// (`tsx server.ts` on the Remix build; run `npm run build` first), with 60 generated stores so the
// stores list has two pages, trained on start.
const STORES = 60;
const DATA = { GENERATE_STORES: String(STORES), GENERATE_DAYS: "80", GENERATE_SEED: "5", STREAM_PRODUCER: "false" };
const PRODUCT = "product_A";

interface Page {
  status: number;
  html: string;
  headers: Headers;
}

async function get(base: string, path: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(`${base}${path}`, { redirect: "manual", ...init });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** The element's text content with the tags stripped (our own markup: regular enough for this). */
function textOf(html: string): string {
  return (
    html
      .replace(/<script[\s\S]*?<\/script>/g, " ")
      // React separates adjacent text with empty comments: they are not spaces.
      .replace(/<!-- -->/g, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/&amp;/g, "&")
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/\s+/g, " ")
      .trim()
  );
}

/** The inner HTML of the first element carrying `marker` (e.g. `data-testid="stats"`), up to its closing tag. */
function section(html: string, marker: string, closing: string): string {
  const at = html.indexOf(marker);
  if (at < 0) return "";
  const start = html.indexOf(">", at) + 1;
  return html.slice(start, html.indexOf(closing, start));
}

interface StoreRow {
  store: number;
  type: string;
  sales: number | null;
  rmspe: number | null;
}

function storeRows(html: string): StoreRow[] {
  const body = section(html, 'data-testid="store-rows"', "</tbody>");
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => {
    const cells = [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => textOf(c[1]!));
    const num = (s: string | undefined) => (s === undefined || s === "–" ? null : Number(s.replace(/,/g, "")));
    return { store: Number(cells[0]), type: cells[1] ?? "", sales: num(cells[4]), rmspe: num(cells[5]) };
  });
}

const subtitleOf = (html: string) => textOf(section(html, 'data-testid="forecast-subtitle"', "</p>"));

function isSorted(values: number[], dir: "asc" | "desc"): boolean {
  return values.every((v, i) => i === 0 || (dir === "asc" ? values[i - 1]! <= v : values[i - 1]! >= v));
}

async function waitForInitialTraining(base: string, limitMs = 170_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await fetch(`${base}/api/pipeline-runs?kind=train-all&limit=1`);
    const body = (await res.json()) as { runs?: { status: string }[] };
    if (body.runs?.[0]?.status === "SUCCEEDED") return;
    if (Date.now() > deadline) throw new Error(`initial training not finished: ${JSON.stringify(body.runs?.[0])}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function definePageCases(target: () => { url: string }): void {
  const base = () => target().url;
  const page = (path: string, init?: RequestInit) => get(base(), path, init);

  it("overview: store and series counts, models, accuracy, the live stream and the latest weekly run", async () => {
    const { status, html } = await page("/");
    expect(status).toBe(200);
    const stats = textOf(section(html, 'data-testid="stats"', "</dl>"));
    expect(stats).toContain(`Stores ${STORES}`);
    expect(stats).toContain(`Series ${STORES}`);
    expect(stats).toContain(`Models in production ${STORES}`);
    expect(stats).toMatch(/Median CV RMSPE 0\.\d{3}/);
    // Nothing streamed after training here: nothing scored, nothing degraded yet.
    expect(stats).toContain("Realized RMSPE, last 7 days – no forecast scored yet");
    expect(stats).toMatch(/Degraded series \d+ which, and why/);
    expect(textOf(section(html, 'data-testid="stream-activity"', "</dl>"))).toMatch(
      /Last ingested record .+ Records in the last minute \d+/,
    );
    expect(textOf(section(html, 'data-testid="latest-run"', "</dl>"))).toMatch(
      new RegExp(
        `Status SUCCEEDED Started \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC Duration [\\d.]+ (ms|s|min) .*Series trained ${STORES}`,
      ),
    );
    // The search box: a labelled GET form to the stores list.
    expect(html).toMatch(/<form[^>]*method="get"[^>]*action="\/stores"/);
    expect(html).toMatch(/<label for="store-search"[^>]*>Find a store<\/label>/);
    // Navigation to every page.
    for (const [href, name] of [
      ["/", "Overview"],
      ["/stores", "Stores"],
      ["/models", "Models"],
      ["/pipelines", "Pipelines"],
      ["/accuracy", "Accuracy"],
    ]) {
      expect(html).toMatch(new RegExp(`<a[^>]*href="${href}"[^>]*>${name}</a>`));
    }
  });

  it("accuracy: the fleet's figures, degraded series, automatic retrains and anomalous stores, without JavaScript", async () => {
    const run = async (path: string) => {
      const res = await fetch(`${base()}${path}`, { method: "POST" });
      expect(res.status).toBe(202);
      const { job_id } = (await res.json()) as { job_id: string };
      for (const deadline = Date.now() + 60_000; ; ) {
        const job = (await (await fetch(`${base()}/api/jobs/${job_id}`)).json()) as { status: string };
        if (job.status === "SUCCEEDED") return;
        if (job.status === "FAILED" || Date.now() > deadline) throw new Error(`${path}: job ${job.status}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await run("/api/drift-check");
    await run("/api/anomalies");
    const { status, html } = await page("/accuracy");
    expect(status).toBe(200);
    const text = textOf(html);
    expect(text).toContain("Forecast accuracy");
    expect(textOf(section(html, 'data-testid="accuracy-stats"', "</dl>"))).toMatch(
      /Realized RMSPE, last 7 days .+ Inside the 95% band .+ Degraded series \d+ AUTO_RETRAIN=suggest Stores unlike their peers \d+ scan of \d{4}-\d{2}-\d{2}/,
    );
    for (const heading of [
      "The fleet, day by day",
      "Degraded series",
      "Automatic retrains",
      "Stores unlike their peers",
    ]) {
      expect(html).toMatch(new RegExp(`<h2[^>]*>${heading}</h2>`));
    }
    expect(text).toContain("AUTO_RETRAIN=suggest: degraded series are only listed");

    const store = await page(`/stores/1?product=${PRODUCT}`);
    expect(textOf(section(store.html, 'data-testid="series-accuracy"', "</section>"))).toMatch(
      /How its forecasts did (Drift: none|Degraded)/,
    );
  });

  it("overview: an old ?store= link goes to the stores list", async () => {
    const res = await page("/?store=12");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/stores?q=12");
  });

  it("stores list: pages of 50 in store order, with the next page linked", async () => {
    const first = await page("/stores");
    expect(first.status).toBe(200);
    const rows = storeRows(first.html);
    expect(rows.map((r) => r.store)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(textOf(first.html)).toContain(`Stores 1–50 of ${STORES}`);
    expect(first.html).toMatch(/<a[^>]*href="\/stores\?page=2"[^>]*>Next page<\/a>/);
    const second = storeRows((await page("/stores?page=2")).html);
    expect(second.map((r) => r.store)).toEqual(Array.from({ length: STORES - 50 }, (_, i) => i + 51));
    // Past the end: the last page, not an empty or broken one.
    expect(storeRows((await page("/stores?page=999")).html).map((r) => r.store)).toEqual(second.map((r) => r.store));
  });

  it("stores list: search by number prefix, filter by type, sort by sales or CV error", async () => {
    expect(storeRows((await page("/stores?q=5")).html).map((r) => r.store)).toEqual([
      5, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
    ]);
    const typeA = storeRows((await page("/stores?type=a")).html);
    expect(typeA.length).toBeGreaterThan(0);
    expect(typeA.every((r) => r.type === "a")).toBe(true);
    const bySales = storeRows((await page("/stores?sort=sales")).html);
    expect(bySales).toHaveLength(50);
    expect(
      isSorted(
        bySales.map((r) => r.sales ?? 0),
        "desc",
      ),
    ).toBe(true);
    const byError = storeRows((await page("/stores?sort=error&dir=asc")).html);
    expect(byError.every((r) => r.rmspe !== null)).toBe(true);
    expect(
      isSorted(
        byError.map((r) => r.rmspe!),
        "asc",
      ),
    ).toBe(true);
    // The sorted column says so to assistive technology.
    expect((await page("/stores?sort=error&dir=asc")).html).toMatch(
      /<th[^>]*aria-sort="ascending"[^>]*>[\s\S]*?CV RMSPE/,
    );
  });

  it("stores list: a search it cannot use is explained next to the box; odd parameters fall back to defaults", async () => {
    const bad = await page("/stores?q=%3Cb%3Emarker&sort=nonsense&dir=up&page=-4&type=zz");
    expect(bad.status).toBe(200);
    expect(bad.html).toMatch(/<input[^>]*aria-invalid="true"[^>]*aria-describedby="q-error"/);
    expect(bad.html).toMatch(/<p id="q-error"[^>]*>Search by store number/);
    expect(bad.html).not.toContain("<b>marker");
    expect(bad.html).toContain("&lt;b&gt;marker");
    expect(storeRows(bad.html)).toHaveLength(50);
    expect(textOf((await page("/stores?q=9999")).html)).toContain("No store matches.");
  });

  it("store page: chart heading, the weekly forecast as a table without JavaScript, model card, forms", async () => {
    const { status, html } = await page("/stores/7");
    expect(status).toBe(200);
    const title =
      /<h2 id="forecast-title"[^>]*>(Sales forecast for the week (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2}))<\/h2>/.exec(
        html,
      );
    expect(title).not.toBeNull();
    expect(subtitleOf(html)).toBe(`model: prophet-retail-forecaster-store-7-${PRODUCT} | version: 1 | CI: 95%`);
    expect(html).toMatch(/role="img" aria-label="Sales forecast for the week /);
    const fallback = textOf(section(html, 'data-testid="chart-fallback"', "</table>"));
    expect(fallback).toMatch(/Actual sales: 56 days from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
    expect(fallback).toContain("Weekly forecast Date Sales 95% interval");
    expect(fallback).toContain(title![2]!);
    expect(fallback).toContain(title![3]!);
    const card = textOf(section(html, 'data-testid="model-card"', "</section>"));
    expect(card).toMatch(
      /Version 1 of 1 Trained at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC Training window \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/,
    );
    expect(card).toMatch(/RMSPE 0\.\d{3} MAPE 0\.\d{3} RMSE [\d,]+ MAE [\d,]+/);
    expect(html).toMatch(/<button type="submit"[^>]*>Retrain<\/button>/);
    expect(html).toMatch(/<label for="begin"[^>]*>Begin<\/label>/);
    expect(html).toMatch(/<label for="end"[^>]*>End<\/label>/);
    expect(html).toMatch(/<button type="submit"[^>]*>Forecast<\/button>/);
    expect(html).toMatch(/<a href="\/stores\/7\/forecast\.csv\?product=product_A" download=""[^>]*>Download CSV<\/a>/);
    expect(html).toMatch(/role="status"/);
    // No ad-hoc forecast unless asked for.
    expect(html).not.toContain("Ad-hoc forecast");
  });

  it("store page: an ad-hoc forecast from the GET form is drawn as its own series and stored nowhere", async () => {
    const begin = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const end = new Date(Date.now() + 16 * 86_400_000).toISOString().slice(0, 10);
    const { status, html } = await page(`/stores/7?product=${PRODUCT}&begin=${begin}&end=${end}`);
    expect(status).toBe(200);
    const tables = html
      .split("<caption")
      .slice(1)
      .map((t) => textOf(t.slice(0, t.indexOf("</table>"))));
    const adhocTable = tables.find((t) => t.includes("Ad-hoc forecast"));
    expect(adhocTable).toBeDefined();
    expect(adhocTable!.match(/\d{4}-\d{2}-\d{2}/g)).toHaveLength(14);
    expect(adhocTable).toContain(begin);
    expect(adhocTable).toContain(end);
    // The link downloads what is on the chart, ad-hoc rows included.
    const csvHref = /href="(\/stores\/7\/forecast\.csv\?[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&");
    expect(csvHref).toBe(`/stores/7/forecast.csv?product=${PRODUCT}&begin=${begin}&end=${end}`);
    const csv = await page(csvHref!);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="store-7-${PRODUCT}-forecast.csv"`);
    const lines = csv.html.trim().split("\n");
    expect(lines[0]).toBe("date,series,sales,lower_ci_95,upper_ci_95,model_name,model_version");
    expect(lines.filter((l) => l.includes(",Actual sales,"))).toHaveLength(56);
    expect(lines.filter((l) => l.includes(",Weekly forecast,"))).toHaveLength(7);
    expect(lines.filter((l) => l.includes(",Ad-hoc forecast,"))).toHaveLength(14);
    // Not stored: the plain page shows the weekly forecast only.
    expect((await page("/stores/7")).html).not.toContain("Ad-hoc forecast");
  });

  it("store page: a bad range is a 400 with the message next to its field, not a crash", async () => {
    const cases: [string, "begin" | "end", RegExp][] = [
      ["begin=2026-12-10&end=2026-12-01", "end", /End date 2026-12-01 is before begin date 2026-12-10\./],
      ["begin=2026-01-01&end=2027-06-01", "end", /A forecast covers at most 365 days, asked for 517\./],
      ["begin=2026-02-30&end=2026-03-05", "begin", /Begin date must be a real YYYY-MM-DD date/],
      ["begin=&end=2026-03-05", "begin", /Enter the first day to forecast\./],
      ["begin=yesterday&end=%3Cb%3Emarker", "begin", /got &quot;yesterday&quot;/],
    ];
    for (const [query, field, message] of cases) {
      const { status, html } = await page(`/stores/7?${query}`);
      expect(status, query).toBe(400);
      expect(html, query).toMatch(
        new RegExp(`<input[^>]*id="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="${field}-error"`),
      );
      const error = new RegExp(`<p id="${field}-error"[^>]*>([^<]*)</p>`).exec(html);
      expect(error?.[1], query).toMatch(message);
      expect(html).not.toContain("<b>marker");
      // The rest of the page is still there.
      expect(subtitleOf(html)).toContain("version: ");
    }
    const csv = await page("/stores/7/forecast.csv?begin=2026-12-10&end=2026-12-01");
    expect(csv.status).toBe(400);
    expect(csv.html).toContain("End date 2026-12-01 is before begin date 2026-12-10.");
  });

  it("store page and its CSV: a date outside the forecast window is refused at once, naming the field and the window", async () => {
    const seen = await modelTasksSeen(base());
    // The finding: the page's GET (and its CSV link, an <img> suffices) with year 9999 held a thread for ~100 s.
    const { status, html } = await page("/stores/7?product=product_A&begin=9999-01-01&end=9999-01-07");
    expect(status).toBe(400);
    const error = /<p id="begin-error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    expect(error).toMatch(
      /^Begin 9999-01-01 is outside the forecast window: (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2}) \(the first sales day to 730 days after the newest, \d{4}-\d{2}-\d{2}\)\.$/,
    );
    const [, first, last] = /window: (\S+) to (\S+)/.exec(error!)!;
    // The form states the window, and the date fields carry it.
    expect(html).toMatch(new RegExp(`<input[^>]*id="begin"[^>]*min="${first}"[^>]*max="${last}"`));
    expect(textOf(html)).toContain(`at most 365 days, from ${first} to ${last}.`);
    expect(subtitleOf(html)).toContain("version: ");

    const csv = await page("/stores/7/forecast.csv?product=product_A&begin=9999-01-01&end=9999-01-07");
    expect(csv.status).toBe(400);
    expect(csv.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(csv.html)).toEqual({
      error: expect.stringContaining("Begin 9999-01-01 is outside the forecast window"),
      details: { field: "begin", window: { first, last }, maxDays: 365 },
    });
    expect(await modelTasksSeen(base())).toBe(seen);
  });

  it("404 pages for an unknown store, a store that is not a number, an unknown product or path", async () => {
    const cases: [string, RegExp][] = [
      ["/stores/9999", /There is no store 9999: it has no sales history\./],
      ["/stores/abc", /There is no store “abc”/],
      ["/stores/0", /There is no store “0”/],
      [`/stores/7?product=product_Z`, /Store 7 has no product “product_Z”; it sells product_A\./],
      ["/no/such/page", /There is no page at this address\./],
    ];
    for (const [path, message] of cases) {
      const { status, html } = await page(path);
      expect(status, path).toBe(404);
      expect(html, path).toContain("Page not found");
      expect(textOf(html), path).toMatch(message);
      // The error page keeps the layout: navigation back is there.
      expect(html, path).toMatch(/<a[^>]*href="\/stores"/);
    }
    // The CSV download answers a plain-text 404.
    const csv = await page("/stores/9999/forecast.csv");
    expect(csv.status).toBe(404);
    expect(csv.html).toBe("There is no store 9999: it has no sales history.");
  });

  it("store page: Retrain without JavaScript posts, redirects to the job's status, and the new version shows", async () => {
    const _csrf = csrfOf((await page("/stores/9")).html);
    const post = await page("/stores/9", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf, intent: "retrain", product: PRODUCT }).toString(),
    });
    expect(post.status).toBe(302);
    const location = post.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^/stores/9\\?product=${PRODUCT}&job=[\\w-]+$`));
    let html = "";
    const deadline = Date.now() + 60_000;
    for (;;) {
      html = (await page(location)).html;
      const status = textOf(section(html, 'role="status"', "</p>"));
      if (status.startsWith("Retrain finished")) break;
      expect(status).toMatch(/^(Retrain queued|Retraining)/);
      // While it is queued or running: the button is disabled and a progress bar shows.
      expect(html).toMatch(/<button type="submit" disabled=""[^>]*>Retrain<\/button>/);
      expect(html).toMatch(/<progress aria-label="Training progress"/);
      if (Date.now() > deadline) throw new Error(`retrain not finished: ${status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(textOf(section(html, 'role="status"', "</p>"))).toBe("Retrain finished: version 2 is in production.");
    expect(subtitleOf(html)).toBe(`model: prophet-retail-forecaster-store-9-${PRODUCT} | version: 2 | CI: 95%`);
    expect(textOf(section(html, 'data-testid="model-card"', "</section>"))).toContain("Version 2 of 2");
    expect(html).toMatch(/<button type="submit"[^>]*>Retrain<\/button>/);
    expect(html).not.toMatch(/<button type="submit" disabled=""[^>]*>Retrain/);
  });

  it("store page: a form it does not know is refused in place (400), an unknown product is a 404", async () => {
    const _csrf = csrfOf((await page("/stores/9")).html);
    const form = (body: Record<string, string>) =>
      page("/stores/9", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf, ...body }).toString(),
      });
    const bogus = await form({ intent: "delete-everything" });
    expect(bogus.status).toBe(400);
    expect(bogus.html).toMatch(/<p role="alert"[^>]*>Unknown action: this page can only retrain\.<\/p>/);
    expect((await form({ intent: "retrain", product: "product_Z" })).status).toBe(404);
    const notForm = await page("/stores/9", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(notForm.status).toBe(400);
  });
}

describe("web pages on PGlite and the in-process queue", () => {
  const dataDir = tempDir("ui-pages");
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...DATA });
    await waitForInitialTraining(server.url);
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  definePageCases(() => ({ url: server.url }));
});

describe.runIf(process.env.DATABASE_URL)("web pages on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_ui");
    server = await startServer({ DATABASE_URL: scratch.url, DATA_DIR: tempDir("ui-pages-pg"), ...DATA });
    await waitForInitialTraining(server.url);
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await scratch?.drop();
  });

  definePageCases(() => ({ url: server.url }));
});
