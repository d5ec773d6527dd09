/**
 * Benchmarks the HTTP API of a real server process on Postgres and BullMQ (Redis), and prints one table:
 * - single-series 7-day ad-hoc forecast (POST /api/forecasts/:store/:product, a random store each
 *   request) at 50 concurrent connections for 10 s with autocannon: p50, p99, requests/s (target p99 <= 25 ms);
 *   the server keeps answers it computed, so this is mostly a repeated question, as in real use;
 * - the same with a random week of the next year each request, so nearly every answer is computed
 *   (target p99 <= 25 ms);
 * - one reference-compatible batch (POST /api/forecasters/forecast) for every store: total time (target <= 5 s);
 * - the seed's whole batch, 11,150 items with explicit dates (each store's series 10 times, since
 *   the generated chain has one product; `--products 10` trains 10 products instead): as the DAG
 *   sends it (one week for all, so the copies are the same question), and with each copy's week a
 *   day later (every item computed, as 1,115 x 10 distinct series would be): wall time (target <=
 *   3 s) and the server's peak RSS;
 * - the same single-series load while a train-all job runs (reported, no target);
 * - the attacker scenario (bench-api-attack.ts): normal users' computed ad-hoc forecasts alone and
 *   while an attacker sends far-future requests and maximum batches from another address: their
 *   p99 (target <= 100 ms), the server's peak RSS (target <= 1.5 GB), its longest event-loop block.
 *
 *   DATABASE_URL=... REDIS_URL=... npm run bench:api [-- --stores 1115] [--connections 50] [--seconds 10]
 *     [--attack-connections 8] [--only adhoc|attack]
 *
 * The server gets a scratch database (dropped afterwards) and a queue of its own (obliterated
 * afterwards), generates the data set and trains every series before the measurements start.
 */
import { Command } from "commander";
import { productName } from "../app/sales/generator/profiles.js";
import { attackRows, attackScenario } from "./bench-api-attack.js";
import { forecastLoad as load } from "./bench-forecast-load.js";
import { type BenchServer, median, peakRssMiB, printTable, resetPeakRss, startBenchServer } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const PRODUCT = "product_A";
const log = (s: string) => process.stderr.write(`bench-api: ${s}\n`);

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function batch(url: string, stores: number[]): Promise<number> {
  const body = JSON.stringify(stores.map((s) => ({ store_id: s, product_name: PRODUCT })));
  const t = performance.now();
  const answers = await json<unknown[]>(
    await fetch(`${url}/api/forecasters/forecast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  );
  const ms = performance.now() - t;
  if (answers.length !== stores.length) throw new Error(`batch answered ${answers.length} of ${stores.length}`);
  return ms;
}

/** strftime("%Y-%m-%dT%H:%M:%SZ") of today 00:00 UTC + `offset` days. */
const seedDate = (offset: number) => `${day(offset)}T00:00:00Z`;

/**
 * The seed's batch: `items` items over `series` (store, product) pairs, cycling; each pass over the
 * series asks week `weekOf(pass)`. Answers the wall time and the server's peak RSS during it.
 */
async function seedBatch(
  server: BenchServer,
  series: { store: number; product: string }[],
  items: number,
  weekOf: (pass: number) => number,
): Promise<{ ms: number; rssMiB: number; bytes: number }> {
  const body = JSON.stringify(
    Array.from({ length: items }, (_, i) => {
      const s = series[i % series.length]!;
      const start = weekOf(Math.floor(i / series.length));
      return {
        store_id: String(s.store),
        product_name: s.product,
        begin_date: seedDate(start),
        end_date: seedDate(start + 7),
      };
    }),
  );
  resetPeakRss(server.pid);
  const t = performance.now();
  const res = await fetch(`${server.url}/api/forecasters/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const answers = (await json<{ forecast: unknown[] }[]>(res)).length;
  const ms = performance.now() - t;
  if (answers !== items) throw new Error(`the seed batch answered ${answers} of ${items}`);
  return { ms, rssMiB: peakRssMiB(server.pid), bytes: body.length };
}

const f0 = (n: number) => n.toFixed(0);

async function main() {
  const opts = new Command()
    .option("--stores <n>", "generated stores", integerOption(1, 100_000), 1115)
    .option("--connections <n>", "concurrent connections", integerOption(1, 1000), 50)
    .option("--seconds <n>", "duration of each load run", integerOption(1, 600), 10)
    .option("--products <n>", "generated products per store (10: the seed's 11,150 series)", integerOption(1, 10), 1)
    .option("--attack-connections <n>", "normal users' connections in the attacker scenario", integerOption(1, 1000), 8)
    .option("--only <section>", "run one section only: adhoc (the two ad-hoc loads) or attack")
    .parse()
    .opts<{
      stores: number;
      connections: number;
      seconds: number;
      products: number;
      attackConnections: number;
      only?: string;
    }>();
  if (opts.only !== undefined && opts.only !== "attack" && opts.only !== "adhoc") {
    console.error(`bench-api: --only takes "adhoc" or "attack", got ${JSON.stringify(opts.only)}`);
    process.exit(1);
  }
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    console.error(
      "bench-api: needs DATABASE_URL and REDIS_URL (bash scripts/start-postgres.sh; bash scripts/start-redis.sh)",
    );
    process.exit(1);
  }

  let server: BenchServer | undefined;
  try {
    server = await startBenchServer({
      name: "api",
      stores: opts.stores,
      products: opts.products,
      databaseUrl,
      redisUrl,
      log,
    });
    const stores = server.stores;
    if (opts.only === "attack") {
      printTable(
        attackRows(
          await attackScenario(server, { connections: opts.attackConnections, seconds: opts.seconds, log }),
          opts.attackConnections,
        ),
      );
      return;
    }

    // Warm-up: every store's next week once (the answers the measured run repeats), then 2 s of load.
    log(`warming up: each of ${stores.length} stores once, then 2 s`);
    const week = JSON.stringify({ begin: day(1), end: day(7) });
    const url = server.url;
    for (let i = 0; i < stores.length; i += 8) {
      await Promise.all(
        stores.slice(i, i + 8).map(async (store) =>
          json(
            await fetch(`${url}/api/forecasts/${store}/${PRODUCT}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: week,
            }),
          ),
        ),
      );
    }
    await load(server.url, stores, opts.connections, 2);
    log(`single-series ad-hoc forecasts: ${opts.connections} connections, ${opts.seconds} s`);
    const idle = await load(server.url, stores, opts.connections, opts.seconds);
    log(`the same with a random week of the next year each request (answers not kept): ${opts.seconds} s`);
    const fresh = await load(server.url, stores, opts.connections, opts.seconds, true);

    const adhocRows: [string, string, string][] = [
      [
        `ad-hoc 7-day forecast, ${opts.connections} conns, ${opts.seconds} s: p50 / p99`,
        `${f0(idle.p50)} / ${f0(idle.p99)} ms`,
        "p99 <= 25 ms",
      ],
      [
        "  requests/s (total; non-2xx; errors)",
        `${f0(idle.rps)} (${idle.requests}; ${idle.non2xx}; ${idle.errors})`,
        "",
      ],
      [
        "ad-hoc 7-day forecast, a random week each (computed): p50 / p99",
        `${f0(fresh.p50)} / ${f0(fresh.p99)} ms`,
        "p99 <= 25 ms",
      ],
      [
        "  requests/s (total; non-2xx; errors)",
        `${f0(fresh.rps)} (${fresh.requests}; ${fresh.non2xx}; ${fresh.errors})`,
        "",
      ],
    ];
    if (opts.only === "adhoc") {
      printTable(adhocRows);
      return;
    }

    log(`reference batch: ${stores.length} series, the first (answers computed), then 3 more (answers kept)`);
    const firstBatchMs = await batch(server.url, stores);
    const batchMs: number[] = [];
    for (let i = 0; i < 3; i++) batchMs.push(await batch(server.url, stores));

    const series = stores.flatMap((store) =>
      Array.from({ length: opts.products }, (_, p) => ({ store, product: productName(p) })),
    );
    const SEED_ITEMS = 11_150;
    log(`the seed's batch: ${SEED_ITEMS} items over ${series.length} series, one week for all (as the DAG)`);
    const sameWeek = await seedBatch(server, series, SEED_ITEMS, () => 30);
    log(`the seed's batch again, each pass over the series a day later (every item computed, as 10 products would be)`);
    const everyWeek = await seedBatch(server, series, SEED_ITEMS, (pass) => 1 + pass);

    log("single-series ad-hoc forecasts while a train-all job runs");
    const accepted = await json<{ job_id: string }>(await fetch(`${server.url}/api/train-all`, { method: "POST" }));
    const trainStarted = Date.now();
    const busy = await load(server.url, stores, opts.connections, opts.seconds);
    let job: { status: string; progress: { done: number; total: number } | null };
    for (;;) {
      job = await json(await fetch(`${server.url}/api/jobs/${accepted.job_id}`));
      if (["SUCCEEDED", "FAILED", "STOPPED"].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const trainAllMs = Date.now() - trainStarted;

    const rows: [string, string, string][] = [
      ...adhocRows,
      [`reference batch, ${stores.length} series: first`, `${f0(firstBatchMs)} ms`, "<= 5,000 ms"],
      [
        `reference batch, ${stores.length} series: then median (min..max of 3)`,
        `${f0(median(batchMs))} ms (${f0(Math.min(...batchMs))}..${f0(Math.max(...batchMs))})`,
        "<= 5,000 ms",
      ],
      [
        `seed batch, ${SEED_ITEMS} items (${(sameWeek.bytes / 1e6).toFixed(1)} MB), one week: time / peak RSS`,
        `${f0(sameWeek.ms)} ms / ${f0(sameWeek.rssMiB)} MiB`,
        "<= 3,000 ms",
      ],
      [
        `seed batch, ${SEED_ITEMS} items, every item computed: time / peak RSS`,
        `${f0(everyWeek.ms)} ms / ${f0(everyWeek.rssMiB)} MiB`,
        "<= 3,000 ms",
      ],
      ["ad-hoc 7-day forecast during train-all: p50 / p99", `${f0(busy.p50)} / ${f0(busy.p99)} ms`, "reported"],
      [
        "  requests/s (total; non-2xx; errors)",
        `${f0(busy.rps)} (${busy.requests}; ${busy.non2xx}; ${busy.errors})`,
        "",
      ],
      [`train-all meanwhile (${job.status})`, `${(trainAllMs / 1000).toFixed(1)} s`, ""],
    ];
    const attack = await attackScenario(server, { connections: opts.attackConnections, seconds: opts.seconds, log });
    printTable([...rows, ...attackRows(attack, opts.attackConnections)]);
  } finally {
    await server?.stop();
  }
}

main().catch((err: unknown) => {
  console.error("bench-api:", err);
  process.exit(1);
});
