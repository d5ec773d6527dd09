/**
 * A pipeline run's log in the database (pipeline_run_logs, docs/decisions/0035): a writer any code
 * path of a run uses (the run's own job, and train-chunk helpers on other replicas), writing in
 * batches, and the reads of the run page.
 */
import type { Database } from "../platform/db.server.js";
import {
  boundEntry,
  droppedRange,
  isLogLevel,
  type LogBatch,
  type LogBound,
  LogBuffer,
  type LogLevel,
  levelAtLeast,
  RUN_LOG_BOUND,
  type RunLogLine,
} from "./run-log.js";

export interface RunLogOptions {
  /** A batch is written this long after its first line at the latest (default 1 s). */
  flushMs?: number;
  /** ... or as soon as it holds this many lines (default 200). */
  batchLines?: number;
  bound?: LogBound;
  /** Told when a batch cannot be written (the run goes on: its log is not worth failing it). */
  onError?: (err: unknown) => void;
}

/**
 * Appends to one run's log. Lines are buffered (bounded, see LogBuffer) and written together: one
 * UPDATE hands the batch its line numbers, one INSERT writes the lines kept, one DELETE drops the
 * lines that fell out of the kept middle. Never throws into the run.
 */
export class RunLogWriter {
  private readonly buffer: LogBuffer;
  private readonly bound: LogBound;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Pick<Database, "sql">,
    readonly runId: number,
    private readonly opts: RunLogOptions = {},
  ) {
    this.bound = opts.bound ?? RUN_LOG_BOUND;
    this.buffer = new LogBuffer(this.bound);
  }

  debug(message: string, fields?: Record<string, unknown>) {
    this.write("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>) {
    this.write("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.write("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.write("error", message, fields);
  }

  write(level: LogLevel, message: string, fields?: Record<string, unknown>) {
    if (this.closed) return;
    this.buffer.push(boundEntry(level, message, fields));
    if (this.buffer.size >= (this.opts.batchLines ?? 200)) void this.flush();
    else this.schedule();
  }

  private schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.opts.flushMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Writes what is buffered; resolves once the buffer is empty. One batch is written at a time: lines
   * logged meanwhile wait in the (bounded) buffer, so a hot loop cannot queue up batches in memory.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing ??= this.drain().finally(() => {
      this.writing = null;
      if (this.buffer.size > 0) this.schedule();
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = this.buffer.drain();
      if (batch.count === 0) return;
      try {
        await this.writeBatch(batch);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  private async writeBatch(batch: LogBatch): Promise<void> {
    const [row] = await this.db.sql.query<{ total: number }>(
      "UPDATE pipeline_runs SET log_lines = log_lines + $2 WHERE id = $1 RETURNING log_lines AS total",
      [this.runId, batch.count],
    );
    if (!row) return; // the run is gone (retention): nothing to write to
    const total = Number(row.total);
    const lines = batch.number(total - batch.count, total);
    if (lines.length > 0) {
      await this.db.sql.query(
        `INSERT INTO pipeline_run_logs (run_id, seq, at, level, message, fields)
         SELECT $1, x.seq, x.at, x.level, x.message, x.fields
           FROM jsonb_to_recordset($2::jsonb) AS x(seq int, at timestamptz, level text, message text, fields jsonb)
         ON CONFLICT DO NOTHING`,
        [
          this.runId,
          JSON.stringify(
            lines.map((l) => ({
              seq: l.seq,
              at: l.at.toISOString(),
              level: l.level,
              message: l.message,
              fields: l.fields,
            })),
          ),
        ],
      );
    }
    // The middle of the run's log: what earlier batches kept that is no longer among the last lines
    // (a range of the primary key; it also catches a line another writer kept late).
    const dropped = droppedRange(total, this.bound);
    if (dropped) {
      await this.db.sql.query("DELETE FROM pipeline_run_logs WHERE run_id = $1 AND seq >= $2 AND seq < $3", [
        this.runId,
        dropped.from,
        dropped.to,
      ]);
    }
  }

  /** Writes the rest; later lines are ignored (the run has ended, or this worker's part of it). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

export interface RunLogPage {
  lines: RunLogLine[];
  /** Every line the run emitted, kept or not. */
  total: number;
  /** The numbers of the lines dropped from the middle, [from, to), or null. */
  dropped: { from: number; to: number } | null;
}

/**
 * A run's kept lines in order (at most head + tail), those of `level` and above when given, after
 * line `after` when given (a live page asks for what is new). Null when the run does not exist.
 */
export async function readRunLog(
  db: Pick<Database, "sql">,
  runId: number,
  opts: { level?: LogLevel; after?: number; bound?: LogBound } = {},
): Promise<RunLogPage | null> {
  const [run] = await db.sql.query<{ log_lines: number }>("SELECT log_lines FROM pipeline_runs WHERE id = $1", [runId]);
  if (!run) return null;
  const rows = await db.sql.query<{
    seq: number;
    at: Date | string;
    level: string;
    message: string;
    fields: Record<string, unknown> | null;
  }>(
    `SELECT seq, at, level, message, fields FROM pipeline_run_logs
      WHERE run_id = $1 AND seq > $2 ORDER BY seq`,
    [runId, opts.after ?? -1],
  );
  const total = Number(run.log_lines);
  const min = opts.level;
  return {
    lines: rows
      .filter((r) => isLogLevel(r.level) && (!min || levelAtLeast(r.level, min)))
      .map((r) => ({
        seq: r.seq,
        at: new Date(r.at).toISOString(),
        level: r.level as LogLevel,
        message: r.message,
        fields: r.fields,
      })),
    total,
    dropped: droppedRange(total, opts.bound ?? RUN_LOG_BOUND),
  };
}
