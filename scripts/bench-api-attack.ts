/**
 * bench-api's attacker scenario (issue 14, request budgets): normal users' ad-hoc forecasts (a random
 * week of the next year each, so every answer is computed in the model threads) alone, then while
 * an attacker on another address (127.0.0.2: another client key) sends far-future requests on every
 * forecasting route (the API, the reference batch, the store page and its CSV link) and the largest
 * batches allowed (12,500 items x 8 days = 100,000 points, every item a question of its own) plus
 * oversized ones, without pause. Reports the normal users' p50/p99, what the attacker got, the
 * server's peak RSS and its longest event-loop block during the attack.
 */
import http from "node:http";
import { forecastLoad } from "./bench-forecast-load.js";
import { type BenchServer, peakRssMiB, percentile, resetPeakRss } from "./bench-server.js";

const PRODUCT = "product_A";
const ATTACKER = "127.0.0.2";
const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

export interface AttackFigures {
  alone: { p50: number; p99: number; requests: number; non2xx: number };
  attacked: { p50: number; p99: number; requests: number; non2xx: number };
  /** Far-future requests: answered, all 4xx?, their p99 (ms). */
  farFuture: { answered: number; all4xx: boolean; p99: number };
  /** Maximum batches answered in full; oversized ones refused (413). */
  maxBatches: { answered: number; pointsEach: number; refused413: number };
  rssMiB: number;
  /** nodejs_eventloop_lag_max_seconds over the attack, in ms. */
  eventLoopMaxMs: number;
}

/** One request from the attacker's address; resolves with the status and time, or null when cut. */
function attackerRequest(
  base: string,
  method: "GET" | "POST",
  path: string,
  body?: string,
  signal?: AbortSignal,
): Promise<{ status: number; ms: number } | null> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        localAddress: ATTACKER,
        headers: body ? { "content-type": "application/json" } : {},
        signal,
      },
      (res) => {
        res.resume(); // read and drop (the batch's answer is streamed)
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on("error", () => resolve(null));
      },
    );
    req.on("error", () => resolve(null));
    req.end(body);
  });
}

const seedDate = (offset: number) => `${day(offset)}T00:00:00Z`;

/** The largest batch allowed, every item its own series and week (spread over the next two years). */
function maxBatch(stores: number[], salt: number): string {
  return JSON.stringify(
    Array.from({ length: 12_500 }, (_, i) => {
      const start = 1 + ((Math.floor(i / stores.length) * 7 + salt * 11 + (i % 7)) % 715);
      return {
        store_id: String(stores[i % stores.length]),
        product_name: PRODUCT,
        begin_date: seedDate(start),
        end_date: seedDate(start + 7),
      };
    }),
  );
}

async function eventLoopMaxMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return 1000 * Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

export async function attackScenario(
  server: BenchServer,
  opts: { connections: number; seconds: number; log: (s: string) => void },
): Promise<AttackFigures> {
  const { url, stores } = server;
  opts.log(`attacker scenario: normal users alone, ${opts.connections} connections, ${opts.seconds} s`);
  const alone = await forecastLoad(url, stores, opts.connections, opts.seconds, true);

  const stop = new AbortController();
  const farFuture: number[] = [];
  let farNon4xx = 0;
  const batches = { answered: 0, refused413: 0 };
  const store = stores[0]!;
  const far = [
    () =>
      attackerRequest(
        url,
        "POST",
        `/api/forecasts/${store}/${PRODUCT}`,
        JSON.stringify({ begin: "9999-01-01", end: "9999-01-07" }),
      ),
    () =>
      attackerRequest(
        url,
        "POST",
        "/api/forecasters/forecast",
        JSON.stringify([
          {
            store_id: store,
            product_name: PRODUCT,
            begin_date: "9999-01-01T00:00:00Z",
            end_date: "9999-01-07T00:00:00Z",
          },
        ]),
      ),
    () => attackerRequest(url, "GET", `/stores/${store}?product=${PRODUCT}&begin=9999-01-01&end=9999-01-07`),
    () =>
      attackerRequest(url, "GET", `/stores/${store}/forecast.csv?product=${PRODUCT}&begin=9999-01-01&end=9999-01-07`),
  ];
  const farLoop = async (k: number) => {
    for (let i = k; !stop.signal.aborted; i++) {
      const r = await far[i % far.length]!();
      if (!r) continue;
      farFuture.push(r.ms);
      if (r.status < 400 || r.status >= 500) farNon4xx++;
    }
  };
  const oversized = JSON.stringify(
    Array.from({ length: 15_500 }, (_, i) => ({
      store_id: String(stores[i % stores.length]),
      product_name: PRODUCT,
      begin_date: seedDate(1),
      end_date: seedDate(365),
    })),
  );
  const bodies = [0, 1, 2, 3].map((salt) => maxBatch(stores, salt));
  const batchLoop = async (k: number) => {
    for (let i = k; !stop.signal.aborted; i++) {
      const big = i % 4 === 3;
      const r = await attackerRequest(
        url,
        "POST",
        "/api/forecasters/forecast",
        big ? oversized : bodies[i % bodies.length],
        stop.signal,
      );
      if (r?.status === 200) batches.answered++;
      if (r?.status === 413) batches.refused413++;
    }
  };

  opts.log(
    `the same while an attacker (${ATTACKER}) sends far-future requests (4 at a time) and maximum batches (2 at a time)`,
  );
  resetPeakRss(server.pid);
  await eventLoopMaxMs(url); // starts the event-loop figure over
  const attack = [0, 1, 2, 3].map(farLoop).concat([0, 1].map(batchLoop));
  // Let the attack fill the model threads' queue first.
  await new Promise((r) => setTimeout(r, 2000));
  const attacked = await forecastLoad(url, stores, opts.connections, opts.seconds, true);
  const loopMs = await eventLoopMaxMs(url);
  const rssMiB = peakRssMiB(server.pid);
  stop.abort();
  await Promise.all(attack);
  return {
    alone,
    attacked,
    farFuture: { answered: farFuture.length, all4xx: farNon4xx === 0, p99: percentile(farFuture, 0.99) },
    maxBatches: { answered: batches.answered, pointsEach: 100_000, refused413: batches.refused413 },
    rssMiB,
    eventLoopMaxMs: loopMs,
  };
}

/** The scenario's rows for bench-api's table. */
export function attackRows(f: AttackFigures, connections: number): [string, string, string][] {
  const f0 = (n: number) => n.toFixed(0);
  return [
    [
      `normal users alone, ${connections} conns, a random week each (computed): p50 / p99`,
      `${f0(f.alone.p50)} / ${f0(f.alone.p99)} ms (${f.alone.requests} req, ${f.alone.non2xx} non-2xx)`,
      "reported",
    ],
    [
      "the same while an attacker floods (far-future + maximum batches): p50 / p99",
      `${f0(f.attacked.p50)} / ${f0(f.attacked.p99)} ms (${f.attacked.requests} req, ${f.attacked.non2xx} non-2xx)`,
      "p99 <= 100 ms",
    ],
    [
      "  attacker's far-future requests (API, batch, page, CSV): answered / all 4xx / p99",
      `${f.farFuture.answered} / ${f.farFuture.all4xx ? "yes" : "NO"} / ${f0(f.farFuture.p99)} ms`,
      "all 4xx at once",
    ],
    [
      "  attacker's maximum batches (100,000 points) answered; oversized refused (413)",
      `${f.maxBatches.answered}; ${f.maxBatches.refused413}`,
      "",
    ],
    ["  server peak RSS during the attack", `${f0(f.rssMiB)} MiB`, "<= 1,536 MiB"],
    ["  longest event-loop block during the attack", `${f0(f.eventLoopMaxMs)} ms`, "reported"],
  ];
}
