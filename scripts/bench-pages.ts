/**
 * Benchmarks the server-rendered pages of a real server process on Postgres: the overview `/` and
 * store pages `/stores/:store` (a random store each request), `--requests` of each, one at a time,
 * timed from the request to the last byte of the HTML (on loopback this is the server's time:
 * loaders, rendering and streaming). Prints median and p99 per page (target p99 <= 200 ms); the
 * models pages and the pipelines page are measured the same way and reported; the rejected records
 * page (on 20,000 seeded rejects) and the sales stream page with the target. Before measuring, 50
 * finished runs (steps, counts, failed series and a full log each) are added to the run history, and
 * the run page `/pipelines/:id` is measured on a random run of it (with the target).
 *
 *   DATABASE_URL=... [REDIS_URL=...] npm run bench:pages [-- --stores 1115] [--requests 200]
 *
 * The server gets a scratch database (dropped afterwards), generates the data set (1,115 stores x
 * 150 days by default) and trains every series before the measurements start.
 */
import { Command } from "commander";
import pg from "pg";
import { openDatabase } from "../app/platform/db.server.js";
import { type BenchServer, median, percentile, printTable, startBenchServer } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const log = (s: string) => process.stderr.write(`bench-pages: ${s}\n`);
const TARGET_P99_MS = 200;

/**
 * 20,000 rejects over the last 14 days (what a noisy producer leaves before retention), one in ten a
 * record today's rules accept, so /rejects pages, counts and judges rows as it would in production.
 */
async function seedRejects(databaseUrl: string, database: string): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const db = await openDatabase({ databaseUrl: url.toString() });
  try {
    await db.sql.exec(`INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
      SELECT CASE WHEN g % 10 = 0
               THEN '{"store":' || (g % 1115 + 1) || ',"dayofweek":1,"date":"2024-01-01","sales":100,"customers":10,"open":1,"promo":0,"stateholiday":"0","schoolholiday":0,"productname":"product_A"}'
               ELSE 'not json ' || g || repeat('x', g % 400) END,
             CASE WHEN g % 10 = 0 THEN 'productname: longer than 8 characters' ELSE 'not JSON: Unexpected token' END,
             'sale_rossman_store', g % 3, g::text, now() - (g % 20160) * interval '1 minute'
        FROM generate_series(1, 20000) AS g`);
  } finally {
    await db.close();
  }
  log("seeded 20,000 rejects");
}

/** One document request, as a browser's first load of the page: ms to the last byte. */
async function timeGet(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { headers: { accept: "text/html" } });
  const html = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  if (!html.includes("</html>")) throw new Error(`${url}: the HTML ended early`);
  return ms;
}

/** Finished runs the bench adds to the history, as the issue measures the pages "with 50 runs in history". */
const HISTORY_RUNS = 50;

/**
 * Adds HISTORY_RUNS finished runs of every kind (every seventh FAILED), each with three timed steps,
 * counts with 15 failed series, and a full log (5,000 lines emitted, the 500 a run keeps: ADR 35).
 * Returns every run's id (these and the server's own).
 */
async function addRunHistory(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `WITH runs AS (
         INSERT INTO pipeline_runs (kind, status, params, counts, steps, error, job_id, created_at, started_at, finished_at, log_lines)
         SELECT (ARRAY['train-weekly', 'retrain', 'batch-forecast', 'ingest-daily', 'retention'])[1 + i % 5],
                CASE WHEN i % 7 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
                '{}'::jsonb,
                jsonb_build_object('series', 1115, 'trained', 1100, 'skipped', 0, 'failed', 15, 'failures',
                  (SELECT jsonb_agg(jsonb_build_object('store', s, 'productname', 'product_A',
                                                       'reason', 'bench: the fit did not converge'))
                     FROM generate_series(1, 15) s)),
                jsonb_build_array(
                  jsonb_build_object('name', 'load', 'startedAt', t, 'ms', 1200),
                  jsonb_build_object('name', 'train', 'startedAt', t + interval '1.2 s', 'ms', 540000),
                  jsonb_build_object('name', 'forecast', 'startedAt', t + interval '541.2 s', 'ms', 30000)),
                CASE WHEN i % 7 = 0 THEN 'bench: a failed run' END,
                'bench-' || i, t, t, t + interval '571.2 s', 5000
           FROM generate_series(1, $1::int) i, LATERAL (SELECT now() - i * interval '6 hours' AS t) x
         RETURNING id, started_at)
       INSERT INTO pipeline_run_logs (run_id, seq, at, level, message, fields)
       SELECT r.id, g.seq, r.started_at + g.seq * interval '100 ms',
              (ARRAY['debug', 'info', 'info', 'warn', 'error'])[1 + g.seq % 5],
              'store ' || (1 + g.seq % 1115) || ' product_A trained',
              jsonb_build_object('store', 1 + g.seq % 1115, 'product', 'product_A', 'fitMs', 400 + g.seq % 900)
         FROM runs r, generate_series(0, 4999) g(seq)
        WHERE g.seq < 100 OR g.seq >= 4600`,
      [HISTORY_RUNS],
    );
    const { rows } = await client.query<{ id: number }>("SELECT id FROM pipeline_runs ORDER BY id");
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

async function measure(label: string, count: number, next: () => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await timeGet(next()));
  log(`${label}: ${count} requests, median ${median(times).toFixed(1)} ms`);
  return times;
}

async function main() {
  const opts = new Command()
    .option("--stores <n>", "generated stores", integerOption(1, 100_000), 1115)
    .option(
      "--days <n>",
      "generated days (the newest 10 feed the stream, the rest are history)",
      integerOption(30, 1000),
      160,
    )
    .option("--requests <n>", "requests per page", integerOption(10, 100_000), 200)
    .option("--warmup <n>", "untimed requests per page first", integerOption(0, 10_000), 20)
    .option("--only <text>", "measure only the pages whose name contains this text")
    .parse()
    .opts<{ stores: number; days: number; requests: number; warmup: number; only?: string }>();
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error("bench-pages: needs DATABASE_URL (bash scripts/start-postgres.sh)");
    process.exit(1);
  }

  let server: BenchServer | undefined;
  try {
    server = await startBenchServer({
      name: "pages",
      stores: opts.stores,
      databaseUrl,
      redisUrl: process.env.REDIS_URL,
      // The schedules registered (the /schedules page lists them), on a day that never comes during a run.
      env: {
        GENERATE_DAYS: String(opts.days),
        SCHEDULES: "true",
        TRAIN_CRON: "0 2 29 2 *",
        INGEST_CRON: "5 0 29 2 *",
        RETENTION_CRON: "30 3 29 2 *",
        DRIFT_CRON: "45 0 29 2 *",
        ANOMALY_CRON: "0 4 29 2 *",
      },
      log,
    });
    const base = server.url;
    const stores = server.stores;
    const randomStore = () => `${base}/stores/${stores[Math.floor(Math.random() * stores.length)]}`;
    const runIds = await addRunHistory(server.databaseUrl);
    log(`run history: ${runIds.length} runs (${HISTORY_RUNS} added, each with a full log)`);
    const randomRun = () => `${base}/pipelines/${runIds[Math.floor(Math.random() * runIds.length)]}`;

    await seedRejects(databaseUrl, server.database);
    // A last run for the schedules page to look up (a light job).
    await fetch(`${base}/api/schedules/ingest-daily/run`, { method: "POST" });
    // One entry per page; `target: false` pages are reported without the p99 target.
    const allPages: { name: string; target: boolean; next: () => string }[] = [
      { name: "overview /", target: true, next: () => `${base}/` },
      { name: "store page /stores/:store (random)", target: true, next: randomStore },
      { name: "models /models?sort=rmspe", target: false, next: () => `${base}/models?sort=rmspe` },
      {
        name: "model versions /models/:store/product_A (random)",
        target: false,
        next: () => `${randomStore().replace("/stores/", "/models/")}/product_A`,
      },
      { name: "pipelines /pipelines", target: false, next: () => `${base}/pipelines` },
      {
        name: "model version /models/:store/product_A/versions/1 (random)",
        target: true,
        next: () => `${randomStore().replace("/stores/", "/models/")}/product_A/versions/1`,
      },
      {
        // Every series has one version after the bench's training: version 1 against itself reads
        // the same rows (both versions' metrics, stored forecasts, actuals) as two versions would.
        name: "compare /models/:store/product_A/compare?a=1&b=1 (random)",
        target: true,
        next: () => `${randomStore().replace("/stores/", "/models/")}/product_A/compare?a=1&b=1`,
      },
      { name: "rejected records /rejects (20,000 rejects)", target: true, next: () => `${base}/rejects` },
      { name: "sales stream /stream", target: true, next: () => `${base}/stream` },
      { name: "run page /pipelines/:id (random run)", target: true, next: randomRun },
      { name: "schedules /schedules", target: true, next: () => `${base}/schedules` },
    ];
    const pages = allPages.filter((page) => !opts.only || page.name.includes(opts.only));
    if (pages.length === 0) throw new Error(`--only ${opts.only}: no page's name contains it`);
    // Every page is warmed, not only the first two: a route's first requests load its module and
    // plan its queries, and would otherwise be its p99.
    log(`warming up: ${opts.warmup} requests per page`);
    for (let i = 0; i < opts.warmup; i++) {
      for (const page of pages) await timeGet(page.next());
    }
    const timings: number[][] = [];
    for (const page of pages) timings.push(await measure(page.name, opts.requests, page.next));

    const ms = (n: number) => `${n.toFixed(1)} ms`;
    const row = (name: string, xs: number[], target = true): [string, string, string] => {
      const p99 = percentile(xs, 0.99);
      return [
        `${name}: median / p99 (max)`,
        `${ms(median(xs))} / ${ms(p99)} (${ms(Math.max(...xs))})`,
        target ? `p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? "met" : "NOT met"}` : "reported",
      ];
    };
    console.log(
      `\n${stores.length} stores, ${opts.days - 10} days of history, trained; ${opts.requests} sequential requests per page`,
    );
    printTable(pages.map((page, i) => row(page.name, timings[i] ?? [], page.target)));
  } finally {
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error("bench-pages:", err);
  process.exit(1);
});
