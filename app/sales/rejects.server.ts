/**
 * Rejected stream records (`stream_rejects`, written by ingest.server.ts): their reads for the
 * Rejected records page, and their deletion by the retention job (app/retention).
 *
 * The table keeps the reason text, not its class: the class is read back from the reason's wording
 * (REJECT_CLASS_SQL, kept in step with parseStreamRecord by tests/unit/sales/rejects.test.ts), so
 * rejects stored before this page existed are classified too (docs/decisions/0031).
 */
import { z } from "zod";
import { DAY_MS, formatDay, parseDay, todayDay } from "../days.js";
import { ValidationError } from "../errors.js";
import type { Database } from "../platform/db.server.js";
import { showValue } from "../rossmann.js";
import { REJECT_CLASSES, type RejectClass } from "./ingest.server.js";

/** A reject's class as the page shows it: one of the ingestion's classes, or `other` for a reason it never writes. */
export type RejectKind = RejectClass | "other";
export const REJECT_KINDS: readonly RejectKind[] = [...REJECT_CLASSES, "other"];

/** The class of `reason`, from the wording parseStreamRecord gives each class. */
export const REJECT_CLASS_SQL = `CASE
  WHEN reason LIKE 'empty message%' THEN 'empty'
  WHEN reason = 'not UTF-8 text' THEN 'not_utf8'
  WHEN reason LIKE 'not JSON:%' THEN 'not_json'
  WHEN reason LIKE 'expected a JSON object%' THEN 'not_object'
  WHEN reason LIKE 'unknown field%' THEN 'unknown_field'
  WHEN reason ~ '^[^:;]+: missing(; [^:;]+: missing)*$' THEN 'missing_field'
  WHEN reason ~ '^[A-Za-z_.]+: ' THEN 'invalid_field'
  ELSE 'other' END`;

/** The first characters of a payload shown in the table; the rest behind a disclosure. */
export const PAYLOAD_PREVIEW = 200;
/** At most this much of one payload is sent to the page (a Kafka message may be a megabyte). */
export const PAYLOAD_MAX = 20_000;

export interface RejectsFilter {
  kind?: RejectKind;
  /** First day (UTC, YYYY-MM-DD), inclusive. */
  from?: string;
  /** Last day (UTC, YYYY-MM-DD), inclusive. */
  to?: string;
  /** Keyset: only rejects with a smaller id (the previous page's `next`). */
  before?: number;
}

const day = (field: string) =>
  z
    .string()
    .refine((s) => parseDay(s) !== undefined, {
      error: (i) => `${field}: expected a date YYYY-MM-DD, got ${showValue(i.input)}`,
    })
    .optional();

/** The page's query string: every field optional, empty values ignored. */
export const rejectsQuery = z
  .object({
    reason: z
      .enum(REJECT_KINDS as [RejectKind, ...RejectKind[]], {
        error: (i) => `reason: expected one of ${REJECT_KINDS.join(", ")}, got ${showValue(i.input)}`,
      })
      .optional(),
    from: day("from"),
    to: day("to"),
    before: z
      .string()
      .regex(/^[1-9]\d{0,9}$/, {
        error: (i) => `before: expected a reject id (a positive integer), got ${showValue(i.input)}`,
      })
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ["to"],
    error: "to: the last day comes before the first (from)",
  });

/** Parses the page's query; a bad field throws a ValidationError naming it. */
export function parseRejectsQuery(params: URLSearchParams): RejectsFilter {
  const raw: Record<string, string> = {};
  for (const key of ["reason", "from", "to", "before"]) {
    const all = params.getAll(key).map((v) => v.trim());
    if (all.length > 1) throw new ValidationError(key, `${key}: given ${all.length} times, expected once`);
    if (all[0]) raw[key] = all[0];
  }
  const parsed = rejectsQuery.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(String(issue.path[0] ?? "query"), issue.message);
  }
  const q = parsed.data;
  return {
    kind: q.reason,
    from: q.from,
    to: q.to,
    before: q.before === undefined ? undefined : Number(q.before),
  };
}

export interface RejectRecord {
  id: number;
  kind: RejectKind;
  reason: string;
  /** The first PAYLOAD_PREVIEW characters. */
  preview: string;
  /** The payload up to PAYLOAD_MAX characters; null when the preview is all of it. */
  full: string | null;
  /** The payload's length in characters. */
  length: number;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  receivedAt: Date;
}

export interface RejectsPage {
  rejects: RejectRecord[];
  /** The `before` of the next (older) page; null on the last page. */
  next: number | null;
}

/** The WHERE conditions of `filter` and their arguments; `arg` adds one more argument. */
export function rejectsWhere(filter: RejectsFilter): { where: string[]; args: unknown[]; arg: (v: unknown) => string } {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `$${args.length}`;
  };
  if (filter.kind !== undefined) where.push(`(${REJECT_CLASS_SQL}) = ${arg(filter.kind)}`);
  if (filter.from !== undefined) where.push(`received_at >= ${arg(filter.from)}::date::timestamp AT TIME ZONE 'UTC'`);
  if (filter.to !== undefined) {
    where.push(`received_at < (${arg(filter.to)}::date + 1)::timestamp AT TIME ZONE 'UTC'`);
  }
  if (filter.before !== undefined) where.push(`id < ${arg(filter.before)}`);
  return { where, args, arg };
}

/** Rejects matching `filter`, newest first, `limit` at a time (keyset on id). */
export async function pageRejects(db: Pick<Database, "sql">, filter: RejectsFilter, limit = 50): Promise<RejectsPage> {
  const { where, args, arg } = rejectsWhere(filter);
  const rows = await db.sql.query<{
    id: number;
    kind: RejectKind;
    reason: string;
    payload: string;
    length: number;
    topic: string | null;
    partition: number | null;
    offset: string | null;
    received_at: Date | string;
  }>(
    `SELECT id, ${REJECT_CLASS_SQL} AS kind, reason, left(payload, ${PAYLOAD_MAX}) AS payload,
            char_length(payload) AS length, topic, partition, "offset", received_at
       FROM stream_rejects ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ${arg(limit + 1)}`,
    args,
  );
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return {
    next: more ? page[page.length - 1]!.id : null,
    rejects: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      reason: r.reason,
      preview: r.payload.slice(0, PAYLOAD_PREVIEW),
      full: r.length > PAYLOAD_PREVIEW ? r.payload : null,
      length: r.length,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      receivedAt: new Date(r.received_at),
    })),
  };
}

export interface RejectsPerDay {
  /** The days, oldest first (UTC, YYYY-MM-DD), every one of them even without a reject. */
  days: string[];
  /** Counts per day and class; only non-zero ones. */
  counts: { day: string; kind: RejectKind; count: number }[];
}

/** Rejects received per day (UTC) and class over the `days` days up to today. */
export async function rejectsPerDay(
  db: Pick<Database, "sql">,
  opts: { days?: number; now?: number } = {},
): Promise<RejectsPerDay> {
  const n = opts.days ?? 14;
  const last = todayDay(opts.now ?? Date.now());
  const first = last - n + 1;
  const rows = await db.sql.query<{ day: string; kind: RejectKind; count: number }>(
    // Counted per day and reason first, then classed: the class's patterns run once per distinct
    // reason of a day, not once per row (a noisy day has thousands of rejects and a few reasons).
    `SELECT to_char(d, 'YYYY-MM-DD') AS day, ${REJECT_CLASS_SQL} AS kind, sum(n)::int AS count
       FROM (SELECT date_trunc('day', received_at AT TIME ZONE 'UTC') AS d, reason, count(*) AS n
               FROM stream_rejects
              WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
              GROUP BY 1, 2) AS per_reason
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [new Date(first * DAY_MS).toISOString(), new Date((last + 1) * DAY_MS).toISOString()],
  );
  return { days: Array.from({ length: n }, (_, i) => formatDay(first + i)), counts: rows };
}

/** Deletes at most `limit` rejects received more than `days` days ago; returns how many. */
export async function deleteRejectsOlderThan(db: Pick<Database, "sql">, days: number, limit: number): Promise<number> {
  const rows = await db.sql.query<{ id: number }>(
    `DELETE FROM stream_rejects WHERE id IN (
       SELECT id FROM stream_rejects WHERE received_at < now() - $1::int * interval '1 day' ORDER BY id LIMIT $2)
     RETURNING id`,
    [days, limit],
  );
  return rows.length;
}
