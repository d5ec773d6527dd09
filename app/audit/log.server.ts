/** Appends to and reads the audit log (table audit_log, append-only). */
import type { Principal } from "../auth/principal.js";
import { ValidationError } from "../errors.js";
import type { Database } from "../platform/db.server.js";

export interface AuditEntry {
  id: string;
  at: Date;
  actor: { kind: Principal["kind"]; id: string; name: string };
  /** What was done, e.g. `model.promote`, `train-all.start`, `token.create`. */
  action: string;
  /** What it was done to, e.g. `store 1 product A version 3`, `run 12`, `user bob`. */
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

interface AuditRow {
  id: string | number | bigint;
  at: Date | string;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

export async function recordAudit(
  db: Pick<Database, "sql">,
  entry: { actor: Principal; action: string; target?: string; detail?: Record<string, unknown>; ip?: string },
): Promise<void> {
  await db.sql.query(
    `INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, target, detail, ip)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
    [
      entry.actor.kind,
      entry.actor.id.slice(0, 100),
      entry.actor.name.slice(0, 100),
      entry.action.slice(0, 60),
      entry.target?.slice(0, 300) ?? null,
      entry.detail === undefined ? null : JSON.stringify(entry.detail),
      entry.ip?.slice(0, 64) ?? null,
    ],
  );
}

export interface AuditQuery {
  /** Only entries of this action, or whose action starts with it followed by a dot. */
  action?: string;
  /** Only this actor's (by name). */
  actor?: string;
  /** Entries older than this id (the next page). */
  before?: string;
  limit: number;
}

/** `%`, `_` and `\` match themselves in a LIKE pattern (a filter `train_all` is no wildcard). */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, "\\$&");

/**
 * The first entry that names job `jobId` (who asked for it: a page or API request, or the retraining
 * policy), written between `from` and `to` (the time index bounds the search). Null when none does.
 */
export async function firstAuditOfJob(
  db: Pick<Database, "sql">,
  jobId: string,
  window: { from: Date; to: Date },
): Promise<AuditEntry | null> {
  const rows = await db.sql.query<AuditRow>(
    `SELECT id::text AS id, at, actor_kind, actor_id, actor_name, action, target, detail, ip FROM audit_log
      WHERE at >= $2 AND at <= $3
        AND (detail->>'job' = $1 OR detail->>'job_id' = $1 OR target = 'job ' || $1)
      ORDER BY id LIMIT 1`,
    [jobId, window.from, window.to],
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  id: String(r.id),
  at: new Date(r.at),
  actor: { kind: r.actor_kind as Principal["kind"], id: r.actor_id, name: r.actor_name },
  action: r.action,
  target: r.target,
  detail: r.detail,
  ip: r.ip,
});

/** Newest first. */
export async function listAudit(db: Pick<Database, "sql">, q: AuditQuery): Promise<AuditEntry[]> {
  if (q.before !== undefined && !/^\d{1,18}$/.test(q.before)) {
    throw new ValidationError("before", `before is an entry's id (digits), got "${q.before.slice(0, 40)}"`);
  }
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.action) {
    args.push(q.action, `${likeLiteral(q.action)}.%`);
    where.push(`(action = $${args.length - 1} OR action LIKE $${args.length})`);
  }
  if (q.actor) {
    args.push(q.actor);
    where.push(`actor_name = $${args.length}`);
  }
  if (q.before) {
    args.push(q.before);
    where.push(`id < $${args.length}::bigint`);
  }
  args.push(q.limit);
  const rows = await db.sql.query<AuditRow>(
    `SELECT id::text AS id, at, actor_kind, actor_id, actor_name, action, target, detail, ip FROM audit_log
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT $${args.length}`,
    args,
  );
  return rows.map(toEntry);
}

/** One page of the log, newest first, and the `before` of the next page (null on the last). */
export async function pageAudit(
  db: Pick<Database, "sql">,
  q: AuditQuery,
): Promise<{ entries: AuditEntry[]; next: string | null }> {
  const rows = await listAudit(db, { ...q, limit: q.limit + 1 });
  const entries = rows.slice(0, q.limit);
  return { entries, next: rows.length > q.limit ? entries.at(-1)!.id : null };
}
