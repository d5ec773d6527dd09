/**
 * Stream ingestion: validates a batch of sales records from the stream and writes it in one
 * transaction: valid records upserted into `rossman_sales` (unique per store, product and date; the
 * newest record wins, by the record's version, docs/decisions/0016), their stores into `stores`, invalid records into `stream_rejects` with the raw
 * payload, the reason and where they were read. The caller commits the stream offsets afterwards,
 * so a crash in between redelivers the batch, and redelivery is harmless: sales are upserts and
 * rejects are unique on (topic, partition, offset).
 *
 * Payloads are stored as text when they are UTF-8 without NUL characters (Postgres text cannot hold
 * NUL); anything else is stored as `base64:` followed by the bytes in base64 (the reason then says
 * why). A message without a value (a tombstone) is stored as the empty string.
 */
import { isUtf8 } from "node:buffer";
import { z } from "zod";
import { formatDay, isoWeekday, parseDay, todayDay } from "../days.js";
import type { Prisma } from "../generated/prisma/client.js";
import { PipelineRun } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import { formatIssues, rossmannFields, type SalesRow, showValue } from "../rossmann.js";
import type { SalesStream, StreamBatch } from "../stream/port.js";
import { intArray, SALES_UPSERT, STORES_ENSURE, textArray } from "./upsert.server.js";

/** Why a record was rejected, coarsely: the label of the rejected-records counter. */
export const REJECT_CLASSES = [
  "empty",
  "not_utf8",
  "not_json",
  "not_object",
  "missing_field",
  "invalid_field",
  "unknown_field",
] as const;
export type RejectClass = (typeof REJECT_CLASSES)[number];

/** A valid stream record, as written to rossman_sales; `day` is days since 1970-01-01. */
export type IngestRow = Omit<SalesRow, "date"> & { day: number };

export type ParsedRecord = { ok: true; row: IngestRow } | { ok: false; reason: string; class: RejectClass };

/**
 * One stream record: the reference system's JSON shape, exactly (README "Live sales stream",
 * docs/decisions/0016). Every field is required; the shared Rossmann field rules apply (numbers may
 * come as decimal text); `dayofweek` must agree with `date`; any other key rejects the record.
 */
export const streamRecord = z.object({
  store: rossmannFields.store,
  dayofweek: rossmannFields.dayofweek,
  date: rossmannFields.date,
  sales: rossmannFields.sales,
  customers: rossmannFields.customers,
  open: rossmannFields.open,
  promo: rossmannFields.promo,
  stateholiday: rossmannFields.stateholiday,
  schoolholiday: rossmannFields.schoolholiday,
  // Postgres text cannot store NUL: such a name would fail the whole batch's transaction.
  productname: rossmannFields.productname.refine((v) => !v.includes("\u0000"), {
    error: "must not contain a NUL character",
  }),
});
const FIELDS: ReadonlySet<string> = new Set(Object.keys(streamRecord.shape));
const STREAM_RECORD = z.compile(streamRecord);

/** Reasons are short; JSON.parse quotes part of the input, so cap them. */
const MAX_REASON = 500;
const clean = (s: string) =>
  (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON)}...` : s).replaceAll("\u0000", "\\u0000");

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return `a number (${value})`;
  if (typeof value === "string") return `a string (${showValue(value)})`;
  if (typeof value === "boolean") return `a boolean (${value})`;
  return typeof value;
}

/**
 * Validates one message value. `today` is a day number: a record may be dated at most one day after
 * it (a store in a time zone ahead of UTC may already be in tomorrow).
 */
export function parseStreamRecord(value: Buffer | null, today: number): ParsedRecord {
  if (value === null || value.length === 0) return { ok: false, reason: "empty message: no value", class: "empty" };
  if (!isUtf8(value)) return { ok: false, reason: "not UTF-8 text", class: "not_utf8" };
  let json: unknown;
  try {
    json = JSON.parse(value.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: clean(`not JSON: ${(err as Error).message}`), class: "not_json" };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { ok: false, reason: `expected a JSON object, got ${kindOf(json)}`, class: "not_object" };
  }
  const unknown = Object.keys(json).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: clean(
        `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => showValue(k)).join(", ")}: a record has exactly ${[...FIELDS].join(", ")}`,
      ),
      class: "unknown_field",
    };
  }
  const parsed = STREAM_RECORD.safeParse(json);
  if (!parsed.success) {
    const missing = parsed.error.issues.every((i) => i.message === "missing");
    return { ok: false, reason: clean(formatIssues(parsed.error)), class: missing ? "missing_field" : "invalid_field" };
  }
  const r = parsed.data;
  if (r.dayofweek !== isoWeekday(r.date)) {
    return {
      ok: false,
      reason: `dayofweek: ${r.dayofweek} does not match date "${formatDay(r.date)}", a weekday ${isoWeekday(r.date)} (Monday 1 to Sunday 7)`,
      class: "invalid_field",
    };
  }
  if (r.date > today + 1) {
    return {
      ok: false,
      reason: `date: more than one day in the future, got "${formatDay(r.date)}" (today is ${formatDay(today)})`,
      class: "invalid_field",
    };
  }
  return {
    ok: true,
    row: {
      store: r.store,
      productname: r.productname,
      day: r.date,
      dayofweek: isoWeekday(r.date),
      sales: r.sales,
      customers: r.customers,
      open: r.open,
      promo: r.promo,
      stateholiday: r.stateholiday,
      schoolholiday: r.schoolholiday,
    },
  };
}

/** The payload as stored in stream_rejects.payload (see the module comment). */
export function storedPayload(value: Buffer | null): string {
  if (value === null) return "";
  if (isUtf8(value)) {
    const text = value.toString("utf8");
    if (!text.includes("\u0000")) return text;
  }
  return `base64:${value.toString("base64")}`;
}

export interface IngestResult {
  /** Valid records in the batch (each upserted; a key repeated in the batch is written once, the last wins). */
  ingested: number;
  /** Invalid records, each written to stream_rejects (once, however often it is delivered). */
  rejected: number;
  /** Rows upserted: distinct (store, product, date) among the valid records. */
  written: number;
  /**
   * Of `written`, rows the batch left as they were: a redelivery, or a record older than the one
   * stored (docs/decisions/0016).
   */
  unchanged: number;
  rejectedBy: Partial<Record<RejectClass, number>>;
  /** The (store, product, day) of every row upserted, for what follows the write (realized accuracy). */
  keys: readonly Pick<IngestRow, "store" | "productname" | "day">[];
}

const REJECTS_INSERT = `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset")
  SELECT u.payload, u.reason, $3::varchar, $4::int, u.off FROM unnest($1::text[], $2::text[], $5::varchar[]) AS u(payload, reason, off)
  ON CONFLICT (topic, partition, "offset") DO NOTHING`;

/** Every element quoted, so commas, braces, spaces and the word NULL are safe. */

/**
 * The version of a record (docs/decisions/0016): its timestamp (ms; the producer's send time on
 * Kafka, the append time in-process), then partition and offset to break ties. Kafka offsets are
 * 64-bit, so ts and offset stay decimal strings (bigint in the database).
 */
export interface RecordVersion {
  ts: string;
  partition: number;
  offset: string;
}

export type VersionedRow = IngestRow & RecordVersion;

const DECIMAL = /^\d{1,19}$/;

/** A message's version; a missing or negative timestamp (old Kafka formats say -1) counts as 0. */
export function recordVersion(m: { timestamp: string; offset: string }, partition: number): RecordVersion {
  return { ts: DECIMAL.test(m.timestamp) ? m.timestamp : "0", partition, offset: m.offset };
}

/** Orders two versions: negative, zero or positive as `a` is older, the same or newer. */
export function compareVersions(a: RecordVersion, b: RecordVersion): number {
  const ts = BigInt(a.ts) - BigInt(b.ts);
  if (ts !== 0n) return ts < 0n ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  const off = BigInt(a.offset) - BigInt(b.offset);
  return off === 0n ? 0 : off < 0n ? -1 : 1;
}

/** Rows in key order: concurrent writers (other partitions, other replicas, a replay) lock rows in one order. */
export function inKeyOrder<T extends Pick<IngestRow, "store" | "productname" | "day">>(rows: T[]): T[] {
  return rows.sort(
    (a, b) =>
      a.store - b.store ||
      (a.productname < b.productname ? -1 : a.productname > b.productname ? 1 : 0) ||
      a.day - b.day,
  );
}

/**
 * Upserts valid records (one per key, in key order) and their stores inside `tx`; returns the rows
 * inserted or changed (a redelivered or older record changes nothing, docs/decisions/0016). The one
 * write of stream records: the consumer's batches and the replay of rejects (reject-replay.server.ts).
 */
export async function upsertRows(tx: Prisma.TransactionClient, rows: readonly VersionedRow[]): Promise<number> {
  const stores = [...new Set(rows.map((r) => r.store))];
  await tx.$executeRawUnsafe(STORES_ENSURE, intArray(stores));
  const col = (f: (r: VersionedRow) => number) => intArray(rows.map(f));
  return tx.$executeRawUnsafe(
    SALES_UPSERT,
    col((r) => r.store),
    textArray(rows.map((r) => r.productname)),
    col((r) => r.day),
    col((r) => r.dayofweek),
    col((r) => r.sales),
    col((r) => r.customers),
    col((r) => r.open),
    col((r) => r.promo),
    `{${rows.map((r) => r.stateholiday).join(",")}}`,
    col((r) => r.schoolholiday),
    `{${rows.map((r) => r.ts).join(",")}}`,
    col((r) => r.partition),
    `{${rows.map((r) => r.offset).join(",")}}`,
  );
}

/** Interactive-transaction limits: a batch is at most a few thousand rows, but PGlite serialises writers. */
const TX = { timeout: 60_000, maxWait: 60_000 };

/**
 * Validates and writes one batch in a single transaction; resolves once it is committed, after which
 * the caller may commit the batch's offsets. Invalid records never throw: only a database failure does
 * (then nothing of the batch is written, and the batch should be delivered again).
 */
export async function ingestBatch(
  db: Database,
  batch: StreamBatch,
  opts: { now?: number } = {},
): Promise<IngestResult> {
  const today = todayDay(opts.now ?? Date.now());
  const byKey = new Map<string, VersionedRow>();
  const rejectPayloads: string[] = [];
  const rejectReasons: string[] = [];
  const rejectOffsets: string[] = [];
  const rejectedBy: Partial<Record<RejectClass, number>> = {};
  let ingested = 0;
  for (const m of batch.messages) {
    const r = parseStreamRecord(m.value, today);
    if (r.ok) {
      ingested++;
      const key = `${r.row.store}\u0001${r.row.day}\u0001${r.row.productname}`;
      // The parsed row is this message's own object: extended in place (a spread copy per record
      // cost a third of the batch's throughput).
      const row: VersionedRow = Object.assign(r.row, recordVersion(m, batch.partition));
      const seen = byKey.get(key);
      // The batch's newest record per key, as the upsert decides across batches.
      if (!seen || compareVersions(row, seen) > 0) byKey.set(key, row);
    } else {
      rejectPayloads.push(storedPayload(m.value));
      rejectReasons.push(r.reason);
      rejectOffsets.push(m.offset);
      rejectedBy[r.class] = (rejectedBy[r.class] ?? 0) + 1;
    }
  }
  const rows = inKeyOrder([...byKey.values()]);
  let unchanged = 0;
  if (rows.length > 0 || rejectPayloads.length > 0) {
    await db.prisma.$transaction(async (tx) => {
      if (rows.length > 0) unchanged = rows.length - (await upsertRows(tx, rows));
      if (rejectPayloads.length > 0) {
        await tx.$executeRawUnsafe(
          REJECTS_INSERT,
          textArray(rejectPayloads),
          textArray(rejectReasons),
          batch.topic,
          batch.partition,
          textArray(rejectOffsets),
        );
      }
    }, TX);
  }
  return { ingested, rejected: rejectPayloads.length, written: rows.length, unchanged, rejectedBy, keys: rows };
}

// ---------------------------------------------------------------------------------------------------
// The daily ingestion run.

export interface DailyIngestionReport {
  runId: number;
  status: "SUCCEEDED" | "FAILED";
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Rows in rossman_sales dated `day` (the stream's records carry the day they were sent). */
  ingested: number;
  /** Records rejected during `day` (UTC), by the time they were received. */
  rejected: number;
  /** Known stores (the stores table) with no row dated `day`. */
  storesWithoutRecord: number;
  /** The first of them, in store order (at most 50). */
  storesWithoutRecordSample: number[];
  stores: number;
  /** Messages not yet committed by the consumer group; null when the stream could not say. */
  consumerLag: number | null;
  error?: string;
}

/**
 * Records an `ingest-daily` pipeline run: what the stream brought for one day (default today, UTC):
 * rows ingested, rejects, stores with no record, and the consumer group's lag. The run fails (and
 * says why) when the lag cannot be read, with the database counts still recorded.
 */
export async function dailyIngestionRun(
  db: Database,
  stream: Pick<SalesStream, "lag" | "topic">,
  opts: { day?: string; groupId?: string; jobId?: string } = {},
): Promise<DailyIngestionReport> {
  const dayNumber = opts.day === undefined ? todayDay() : parseDay(opts.day);
  if (dayNumber === undefined) throw new RangeError(`day: expected YYYY-MM-DD, got ${showValue(opts.day)}`);
  const day = formatDay(dayNumber);
  const groupId = opts.groupId ?? "storecast-ingest";
  const run = await PipelineRun.start(db, "ingest-daily", {
    params: { day, topic: stream.topic, groupId },
    jobId: opts.jobId,
  });
  const report: DailyIngestionReport = {
    runId: run.id,
    status: "SUCCEEDED",
    day,
    ingested: 0,
    rejected: 0,
    storesWithoutRecord: 0,
    storesWithoutRecordSample: [],
    stores: 0,
    consumerLag: null,
  };
  const counts = () => {
    const { runId: _r, status: _s, error: _e, ...rest } = report;
    return rest;
  };
  try {
    await run.step("count-ingested", async () => {
      const [r] = await db.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM rossman_sales WHERE date = DATE '1970-01-01' + $1::int",
        [dayNumber],
      );
      report.ingested = r?.n ?? 0;
      run.log.info(`${report.ingested} rows ingested for ${day}`, { ingested: report.ingested });
    });
    await run.step("count-rejects", async () => {
      const [r] = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM stream_rejects
          WHERE received_at >= (DATE '1970-01-01' + $1::int)::timestamp AT TIME ZONE 'UTC'
            AND received_at < (DATE '1970-01-01' + $1::int + 1)::timestamp AT TIME ZONE 'UTC'`,
        [dayNumber],
      );
      report.rejected = r?.n ?? 0;
      if (report.rejected > 0)
        run.log.warn(`${report.rejected} records rejected on ${day}`, { rejected: report.rejected });
    });
    await run.step("stores-without-record", async () => {
      const rows = await db.sql.query<{ store: number; missing: boolean }>(
        `SELECT s.store, NOT EXISTS (
                  SELECT 1 FROM rossman_sales r WHERE r.store = s.store AND r.date = DATE '1970-01-01' + $1::int
                ) AS missing
           FROM stores s ORDER BY s.store`,
        [dayNumber],
      );
      report.stores = rows.length;
      const missing = rows.filter((r) => r.missing).map((r) => r.store);
      report.storesWithoutRecord = missing.length;
      report.storesWithoutRecordSample = missing.slice(0, 50);
      if (missing.length > 0) {
        run.log.warn(`${missing.length} of ${rows.length} stores sent no record for ${day}`, {
          sample: report.storesWithoutRecordSample.slice(0, 20),
        });
      }
    });
    await run.step("consumer-lag", async () => {
      report.consumerLag = await stream.lag(groupId);
      run.log.info(`consumer lag ${report.consumerLag ?? "unknown"}`, { groupId, lag: report.consumerLag });
    });
  } catch (err) {
    report.status = "FAILED";
    report.error = err instanceof Error ? err.message : String(err);
    await run.finish("FAILED", { counts: counts(), error: report.error });
    return report;
  }
  await run.finish("SUCCEEDED", { counts: counts() });
  return report;
}
