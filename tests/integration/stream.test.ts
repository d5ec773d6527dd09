/**
 * The sales stream on real services: the contract suite on Kafka with Postgres, the producer CLI,
 * the server consuming from Kafka, and the embedded server's in-process stream (no Kafka needed).
 * The Kafka parts need KAFKA_BROKERS (`export $(bash scripts/start-kafka.sh | tail -n 1)`).
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { writeGeneratedData } from "../../app/sales/generator/csv-files.server.js";
import { dailyIngestionRun, ingestBatch } from "../../app/sales/ingest.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { runScript, startServer, tempDir } from "../support/processes.js";
import {
  describeStreamContract,
  message,
  REFERENCE_RECORD_FIELDS,
  record,
  streamSales,
  TODAY,
  uniqueName,
  waitFor,
} from "../support/stream-cases.js";
import { describeStreamStateContract } from "../support/stream-state-cases.js";

const brokers = process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim());
const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const SMALL_DATA = { GENERATE_STORES: "6", GENERATE_DAYS: "60", GENERATE_SEED: "7", AUTO_TRAIN: "false" };

if (!brokers) {
  console.warn(
    "tests/integration/stream.test.ts: KAFKA_BROKERS is unset: skipping the Kafka tests " +
      "(start a broker with `export $(bash scripts/start-kafka.sh | tail -n 1)`)",
  );
}

const kafka = (topic: string) => new KafkaStream({ brokers: brokers!, topic, sessionTimeoutMs: 6000 });

describe.skipIf(!brokers)(
  `sales stream on Kafka (${brokers ? brokers.join(",") : "skipped: KAFKA_BROKERS is unset"})`,
  () => {
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
    beforeAll(async () => {
      scratch = await createScratchDatabase(baseUrl, "storecast_stream");
    });
    afterAll(async () => {
      await scratch?.drop();
    });

    describeStreamContract("sales stream contract: Kafka, Postgres", {
      openStream: kafka,
      openDb: () => openDatabase({ databaseUrl: scratch!.url }),
      timeoutMs: 30_000,
    });

    describeStreamStateContract("sales stream state contract: Kafka", { openStream: kafka, timeoutMs: 30_000 });

    describe("with a database of its own", () => {
      let db: Database;
      beforeAll(async () => {
        db = await openDatabase({ databaseUrl: scratch!.url });
      });
      afterAll(async () => {
        await db?.close();
      });

      it("records an ingest-daily run with the group's lag read from Kafka", async () => {
        await db.sql.exec("TRUNCATE rossman_sales, stores, stream_rejects RESTART IDENTITY");
        const stream = kafka(uniqueName("storecast-daily"));
        try {
          await stream.ensureTopic(2);
          const producer = await stream.producer();
          await producer.send([1, 2, 3].map((store) => message(record({ store }))));
          await producer.send([{ key: "9", value: "oops" }]);
          const groupId = uniqueName("group");
          let committed = 0;
          const consumer = await stream.consumer(groupId, { onCommit: (i) => (committed += i.messages) });
          await consumer.run(async (b) => {
            await ingestBatch(db, b);
          });
          await waitFor("4 committed", () => committed === 4, 30_000);
          await consumer.stop();
          await db.sql.exec("INSERT INTO stores (store) VALUES (4)");
          const report = await dailyIngestionRun(db, stream, { groupId });
          expect(report).toMatchObject({
            status: "SUCCEEDED",
            day: TODAY,
            ingested: 3,
            rejected: 1,
            stores: 4,
            storesWithoutRecord: 1,
            storesWithoutRecordSample: [4],
            consumerLag: 0,
          });
          // A group that never consumed is behind by the whole topic.
          expect((await dailyIngestionRun(db, stream, { groupId: uniqueName("idle") })).consumerLag).toBe(4);
        } finally {
          await stream.close();
        }
      });

      it("npm run producer sends today's records in the reference shape, keyed by store, and stops after --count", async () => {
        const topic = uniqueName("storecast-cli");
        const dir = tempDir("producer-cli");
        try {
          const env = { KAFKA_BROKERS: brokers!.join(","), KAFKA_TOPIC: topic, KAFKA_PARTITIONS: "2" };
          // Without its stream file it explains itself...
          const run = await runScript("scripts/producer.ts", ["--count", "12"], {
            ...env,
            STREAM_CSV: path.join(dir, "missing.csv"),
          });
          expect(run.code).toBe(1);
          expect(run.stderr).toMatch(/^producer: stream file .*missing\.csv does not exist$/m);
          const generated = await writeGeneratedData({
            stores: 5,
            products: 1,
            days: 20,
            endDate: "2015-07-31",
            seed: 3,
            outDir: dir,
          });
          const ok = await runScript(
            "scripts/producer.ts",
            ["--count", "12", "--rate", "40", "--csv", generated.streamCsv],
            env,
          );
          // ...and with one it sends exactly --count records.
          expect(ok.stderr).toMatch(/streaming 50 rows of .* to topic storecast-cli-/);
          expect(ok.code).toBe(0);
          expect(ok.stdout).toMatch(/^producer: sent 12 records to storecast-cli-\w+ in [\d.]+ s/);
          const stream = kafka(topic);
          const seen: { key: string | null; partition: number; value: Record<string, unknown> }[] = [];
          const consumer = await stream.consumer(uniqueName("group"));
          await consumer.run(async (b) => {
            for (const m of b.messages)
              seen.push({ key: m.key, partition: b.partition, value: JSON.parse(m.value!.toString()) });
          });
          await waitFor("12 records", () => seen.length === 12, 30_000);
          await consumer.stop();
          await stream.close();
          for (const s of seen) {
            expect(Object.keys(s.value)).toEqual(REFERENCE_RECORD_FIELDS);
            expect(s.value.date).toBe(TODAY);
            expect(s.key).toBe(String(s.value.store));
          }
          expect(new Set(seen.map((s) => s.value.store))).toEqual(new Set([1, 2, 3, 4, 5]));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it("the server consumes from Kafka (and produces with STREAM_PRODUCER=true), then stops cleanly", async () => {
        const serverDb = await createScratchDatabase(baseUrl, "storecast_stream_server");
        const dir = tempDir("stream-server");
        const server = await startServer({
          DATABASE_URL: serverDb.url,
          DATA_DIR: dir,
          KAFKA_BROKERS: brokers!.join(","),
          KAFKA_TOPIC: uniqueName("storecast-server"),
          KAFKA_GROUP_ID: uniqueName("group"),
          KAFKA_SESSION_TIMEOUT_MS: "6000",
          STREAM_PRODUCER: "true",
          STREAM_INTERVAL_MS: "50",
          ...SMALL_DATA,
        });
        const check = await openDatabase({ databaseUrl: serverDb.url, migrate: false });
        try {
          await waitFor(
            "today's rows for all 6 stores",
            async () => (await streamSales(check)).filter((r) => r.date === TODAY).length === 6,
            60_000,
          );
          expect(server.output()).toContain("stream: first records ingested");
          expect(await server.stop("SIGTERM")).toBe(0);
          expect(server.output()).toContain("stopped cleanly");
        } finally {
          await server.stop("SIGKILL");
          await check.close();
          await serverDb.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  },
);

describe("embedded server: the in-process stream (no Kafka)", () => {
  it("produces and ingests today's records in-process, then stops cleanly", async () => {
    const dir = tempDir("embedded-stream");
    const server = await startServer({
      PGLITE_DIR: path.join(dir, "pglite"),
      DATA_DIR: dir,
      STREAM_INTERVAL_MS: "100",
      ...SMALL_DATA,
    });
    try {
      await waitFor(
        "the first stream records",
        () => server.output().includes("stream: first records ingested"),
        30_000,
      );
      expect(server.output()).toContain("stream producer: sending today's records");
      // ...and the home page shows the live stream.
      const html = (await (await fetch(server.url)).text()).replaceAll("<!-- -->", "");
      const activity = /data-testid="records-today">([\d,]+)</.exec(html);
      expect(Number(activity?.[1]?.replace(/,/g, ""))).toBeGreaterThan(0);
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(server.output()).toContain("stopped cleanly");
      // The rows are in the database the server wrote.
      const db = await openDatabase({ pgliteDir: path.join(dir, "pglite") });
      try {
        expect((await streamSales(db)).filter((r) => r.date === TODAY).length).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    } finally {
      await server.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
