/**
 * Replaying rejected stream records: a reject whose stored payload the current rules accept (a rule
 * fixed since it was refused, or a record dated too far ahead whose day has come) is ingested the
 * way the consumer ingests a record (parseStreamRecord, then the shared upsert) and its reject row
 * is deleted in the same transaction (docs/decisions/0034). The row is locked first, so a second
 * replay, concurrent or later, finds nothing to do: a record is never ingested twice by replay, and
 * the upsert itself is idempotent. A reject the rules still refuse stays, with its stored reason.
 */
import { todayDay } from "../days.js";
import type { Database } from "../platform/db.server.js";
import {
  type IngestRow,
  inKeyOrder,
  type ParsedRecord,
  parseStreamRecord,
  recordVersion,
  storedPayload,
  upsertRows,
  type VersionedRow,
} from "./ingest.server.js";
import { type RejectsFilter, rejectsWhere } from "./rejects.server.js";

/**
 * The message bytes a stored payload came from (ingest.server.ts's storedPayload, reversed): the
 * empty string was a message without a value; `base64:` marks bytes that were not storable text,
 * unless the text itself began so (then storing the decoded bytes would not give it back).
 */
export function messageOf(payload: string): Buffer | null {
  if (payload === "") return null;
  if (payload.startsWith("base64:")) {
    const bytes = Buffer.from(payload.slice("base64:".length), "base64");
    if (storedPayload(bytes) === payload) return bytes;
  }
  return Buffer.from(payload, "utf8");
}

/** What the current rules say of a stored payload, as of `now`. */
export function revalidate(payload: string, now = Date.now()): ParsedRecord {
  return parseStreamRecord(messageOf(payload), todayDay(now));
}

/** Whether a reject shown with `payload` (its first `shown` of `length` characters) passes the rules now. */
export function passesNow(payload: string, length: number, now = Date.now()): boolean {
  // A payload cut short for the page cannot be judged from what was sent; the replay reads it whole.
  return payload.length === length && revalidate(payload, now).ok;
}

export interface ReplayOutcome {
  /** Rejects ingested and deleted, with where they had been read. */
  replayed: { id: number; topic: string | null; partition: number | null; offset: string | null }[];
  /** Rejects the rules still refuse (left as they are), with today's reason. */
  stillFailing: { id: number; reason: string }[];
  /** The (store, product, day) of every row written, for what follows a write (realized accuracy). */
  keys: Pick<IngestRow, "store" | "productname" | "day">[];
}

interface RejectRow {
  id: number;
  payload: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  received_ms: string;
}

const TX = { timeout: 60_000, maxWait: 60_000 };

/**
 * Replays the rejects with these ids (missing ones, e.g. replayed meanwhile, are skipped). A
 * replayed record's version is the reject's: received time, partition, offset, so a newer record of
 * the same store, product and day already stored is kept (docs/decisions/0016).
 */
export async function replayRejects(
  db: Database,
  ids: readonly number[],
  opts: { now?: number } = {},
): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: [], stillFailing: [], keys: [] };
  if (ids.length === 0) return outcome;
  const now = opts.now ?? Date.now();
  await db.prisma.$transaction(async (tx) => {
    const rejects = await tx.$queryRawUnsafe<RejectRow[]>(
      `SELECT id, payload, topic, partition, "offset",
              (extract(epoch FROM received_at) * 1000)::bigint::text AS received_ms
         FROM stream_rejects WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE`,
      `{${ids.join(",")}}`,
    );
    const byKey = new Map<string, VersionedRow>();
    for (const r of rejects) {
      const verdict = revalidate(r.payload, now);
      if (!verdict.ok) {
        outcome.stillFailing.push({ id: r.id, reason: verdict.reason });
        continue;
      }
      const offset = r.offset !== null && /^\d{1,19}$/.test(r.offset) ? r.offset : "0";
      const row: VersionedRow = Object.assign(
        verdict.row,
        recordVersion({ timestamp: r.received_ms, offset }, r.partition ?? 0),
      );
      const key = `${row.store}\u0001${row.day}\u0001${row.productname}`;
      const seen = byKey.get(key);
      // Two replayed rejects of one key: the later one (by id, the order they arrived in) wins.
      if (!seen || row.ts >= seen.ts) byKey.set(key, row);
      outcome.replayed.push({ id: r.id, topic: r.topic, partition: r.partition, offset: r.offset });
    }
    if (outcome.replayed.length === 0) return;
    const rows = inKeyOrder([...byKey.values()]);
    await upsertRows(tx, rows);
    await tx.$executeRawUnsafe(
      "DELETE FROM stream_rejects WHERE id = ANY($1::int[])",
      `{${outcome.replayed.map((r) => r.id).join(",")}}`,
    );
    outcome.keys = rows.map(({ store, productname, day }) => ({ store, productname, day }));
  }, TX);
  return outcome;
}

/** At most this many rejects are looked at by one "replay all" (retention keeps the table small anyway). */
export const REPLAY_ALL_LIMIT = 10_000;
const CHUNK = 500;

/**
 * Replays every reject matching `filter` that the rules accept now, newest first, in transactions
 * of CHUNK rejects; `limited` says REPLAY_ALL_LIMIT were looked at and more may match.
 */
export async function replayMatching(
  db: Database,
  filter: Omit<RejectsFilter, "before">,
  opts: { now?: number; limit?: number } = {},
): Promise<ReplayOutcome & { limited: boolean }> {
  const limit = opts.limit ?? REPLAY_ALL_LIMIT;
  const total: ReplayOutcome & { limited: boolean } = { replayed: [], stillFailing: [], keys: [], limited: false };
  let before: number | undefined;
  let seen = 0;
  for (;;) {
    const take = Math.min(CHUNK, limit - seen);
    const { where, args, arg } = rejectsWhere({ ...filter, before });
    const rows = await db.sql.query<{ id: number }>(
      `SELECT id FROM stream_rejects ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${arg(take)}`,
      args,
    );
    if (rows.length === 0) break;
    const r = await replayRejects(
      db,
      rows.map((x) => x.id),
      opts,
    );
    total.replayed.push(...r.replayed);
    total.stillFailing.push(...r.stillFailing);
    total.keys.push(...r.keys);
    seen += rows.length;
    before = rows[rows.length - 1]!.id;
    if (rows.length < take) break;
    if (seen >= limit) {
      total.limited = true;
      break;
    }
  }
  return total;
}
