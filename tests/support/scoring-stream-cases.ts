/**
 * Realized accuracy through the stream (workers/ingest-consumer.ts): actuals produced to the sales
 * topic are scored as the consumer writes them. The same cases on the in-process stream with PGlite
 * (unit) and on Kafka with Postgres (integration).
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../app/days.js";
import { loadConfig } from "../../app/platform/config.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { registry } from "../../app/platform/metrics.server.js";
import type { SalesStream } from "../../app/stream/port.js";
import { startWorkers } from "../../workers/index.js";
import { ingestConsumer } from "../../workers/ingest-consumer.js";
import { message, record, uniqueName, waitFor } from "./stream-cases.js";

export interface ScoringStreamTarget {
  openDb(): Promise<Database>;
  openStream(topic: string): SalesStream;
  /** How long to wait for the stream (Kafka's group join takes seconds); default 15 s. */
  timeoutMs?: number;
}

const P = "product_A";
const TODAY = todayDay();

export function describeScoringThroughStream(name: string, target: ScoringStreamTarget): void {
  describe(`realized accuracy through the stream (${name})`, () => {
    let db: Database;
    const T = target.timeoutMs ?? 15_000;
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => lines.push(l) });

    beforeAll(async () => {
      db = await target.openDb();
    });
    afterAll(async () => {
      await db?.close();
    });

    const forecast = (store: number, day: number, value: number) =>
      db.sql.query(
        `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci,
                                       model_name, model_version, created_on)
         VALUES ($1, $2, DATE '1970-01-01' + $3::int, $4::float8, $4::float8 * 0.8, $4::float8 * 1.2, 'm', 1,
                 (DATE '1970-01-01' + $3::int - 1)::timestamp AT TIME ZONE 'UTC')`,
        [store, P, day, value],
      );
    const scores = async (store: number) =>
      db.sql.query<{ date: string; sales: number; scored_at: string }>(
        `SELECT to_char(date, 'YYYY-MM-DD') AS date, sales, scored_at::text AS scored_at
           FROM forecast_scores WHERE store = $1 ORDER BY date`,
        [store],
      );
    const scoredTotal = async () =>
      (await registry.getSingleMetric("storecast_forecast_days_scored_total")!.get()).values[0]?.value ?? 0;

    type Send = (records: Record<string, unknown>[]) => Promise<void>;
    async function consume(run: (send: Send, committed: () => Promise<void>) => Promise<void>) {
      const config = loadConfig({ KAFKA_GROUP_ID: uniqueName("scoring") });
      const stream = target.openStream(uniqueName("scoring"));
      const ctx = { config, db, log };
      const workers = await startWorkers(ctx, [ingestConsumer(ctx, stream)]);
      const producer = await stream.producer();
      try {
        await run(
          async (records) => {
            await producer.send(records.map((r) => message(r)));
          },
          () => waitFor("the batch committed", async () => (await stream.lag(config.KAFKA_GROUP_ID)) === 0, T),
        );
      } finally {
        await producer.close();
        await workers.stop();
        await stream.close();
      }
    }

    it("scores actuals as they arrive: once, again when corrected; late ones too; none without a forecast", async () => {
      const store = 7001;
      await forecast(store, TODAY, 1000);
      await forecast(store, TODAY - 21, 800);
      const before = await scoredTotal();
      await consume(async (send) => {
        await send([record({ store, sales: 900 })]);
        await waitFor("today's score", async () => (await scores(store)).length === 1, T);
        const [first] = await scores(store);
        // Re-sent: the same actual again changes nothing.
        await send([record({ store, sales: 900 })]);
        // Late by three weeks, and a day without a forecast, in one batch.
        await send([
          record({ store, date: formatDay(TODAY - 21), sales: 750 }),
          record({ store, date: formatDay(TODAY - 1), sales: 600 }),
        ]);
        await waitFor("the late score", async () => (await scores(store)).length === 2, T);
        expect((await scores(store)).find((s) => s.date === formatDay(TODAY))?.scored_at).toBe(first?.scored_at);
        // Corrected: re-scored.
        await send([record({ store, sales: 1100 })]);
        await waitFor(
          "the corrected score",
          async () => (await scores(store)).find((s) => s.date === formatDay(TODAY))?.sales === 1100,
          T,
        );
      });
      expect((await scores(store)).map((s) => [s.date, s.sales])).toEqual([
        [formatDay(TODAY - 21), 750],
        [formatDay(TODAY), 1100],
      ]);
      // First score, late score, re-score; the re-sent actual counted nothing.
      expect((await scoredTotal()) - before).toBe(3);
    });

    it("a scoring failure is logged, and the batch is still written and committed", async () => {
      const store = 7002;
      await forecast(store, TODAY, 1000);
      await db.sql.exec("ALTER TABLE forecast_scores RENAME TO forecast_scores_away");
      try {
        await consume(async (send, committed) => {
          await send([record({ store, sales: 900 })]);
          await waitFor(
            "the actual",
            async () => (await db.sql.query("SELECT 1 FROM rossman_sales WHERE store = $1", [store])).length === 1,
            T,
          );
          await waitFor("the warning", () => lines.some((l) => l.includes("scoring actuals failed")), T);
          await committed();
        });
      } finally {
        await db.sql.exec("ALTER TABLE forecast_scores_away RENAME TO forecast_scores");
      }
      expect(lines.join("")).not.toMatch(/writing a batch failed/);
      expect(await scores(store)).toEqual([]);
    });
  });
}
