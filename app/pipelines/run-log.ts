/**
 * A pipeline run's log, the pure part: levels, the size of one line, and the bound on a run's lines
 * (docs/decisions/0035). A run keeps its first RUN_LOG_HEAD lines and its last RUN_LOG_TAIL lines;
 * the lines between are dropped and counted. A browser-safe module: the page filters with it too.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (value: unknown): value is LogLevel =>
  typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);

/** Whether a line of `level` shows when the reader asks for `min` and above. */
export const levelAtLeast = (level: string, min: LogLevel): boolean =>
  LOG_LEVELS.indexOf(level as LogLevel) >= LOG_LEVELS.indexOf(min);

export interface LogBound {
  /** The run's first lines, always kept: how it started. */
  head: number;
  /** The run's last lines, kept: where it is now, or how it ended. */
  tail: number;
}

export const RUN_LOG_BOUND: LogBound = { head: 100, tail: 400 };
/** A message longer than this is cut (with a marker); fields whose JSON is longer are replaced. */
export const MAX_MESSAGE_CHARS = 1_000;
export const MAX_FIELDS_CHARS = 2_000;

/** One line as a run emits it. */
export interface LogEntry {
  at: Date;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | null;
}

/** One line as stored and read: its number in the run. */
export interface RunLogLine {
  seq: number;
  at: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | null;
}

/** A line cut to size: the bound is on lines, so a line itself must be bounded too. */
export function boundEntry(level: LogLevel, message: string, fields?: Record<string, unknown> | null): LogEntry {
  const text = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}… (cut)` : message;
  let kept: Record<string, unknown> | null = null;
  if (fields && Object.keys(fields).length > 0) {
    let json: string | undefined;
    try {
      json = JSON.stringify(fields, (_k, v) =>
        v instanceof Error ? v.message : typeof v === "bigint" ? String(v) : v,
      );
    } catch {
      json = undefined;
    }
    if (json === undefined) kept = { note: "fields could not be written as JSON" };
    else if (json.length > MAX_FIELDS_CHARS) kept = { note: `fields cut: ${json.length} characters of JSON` };
    else kept = JSON.parse(json) as Record<string, unknown>;
  }
  return { at: new Date(), level, message: text, fields: kept };
}

/** Whether line `seq` is kept once the run has emitted `total` lines. */
export const isKept = (seq: number, total: number, bound: LogBound = RUN_LOG_BOUND): boolean =>
  seq < bound.head || seq >= total - bound.tail;

/** The line numbers dropped once the run has emitted `total` lines: [from, to), or null. */
export function droppedRange(total: number, bound: LogBound = RUN_LOG_BOUND): { from: number; to: number } | null {
  const to = total - bound.tail;
  return to > bound.head ? { from: bound.head, to } : null;
}

/**
 * Lines waiting to be written, bounded like the run's log: between two flushes a noisy writer keeps
 * at most head + tail lines in memory (the first and the last it was given) and counts the others,
 * which still take a number, so the stored numbering says where lines are missing.
 */
export class LogBuffer {
  private first: LogEntry[] = [];
  private skipped = 0;
  private last: LogEntry[] = [];

  constructor(private readonly bound: LogBound = RUN_LOG_BOUND) {}

  /** Lines given since the last take, kept or not. */
  get size(): number {
    return this.first.length + this.skipped + this.last.length;
  }

  /** Lines held in memory (at most head + tail). */
  get held(): number {
    return this.first.length + this.last.length;
  }

  push(entry: LogEntry): void {
    if (this.first.length < this.bound.head) {
      this.first.push(entry);
      return;
    }
    this.last.push(entry);
    if (this.last.length > this.bound.tail) {
      this.last.shift();
      this.skipped++;
    }
  }

  /**
   * Empties the buffer at once (lines pushed later go to the next batch): `count` line numbers it
   * needs, and `number(start, total)` its lines numbered from `start`, only those the run keeps once
   * it has emitted `total` lines.
   */
  drain(): LogBatch {
    const { first, skipped, last } = this;
    const bound = this.bound;
    this.first = [];
    this.last = [];
    this.skipped = 0;
    return {
      count: first.length + skipped + last.length,
      number(start, total) {
        const numbered = [
          ...first.map((e, i) => ({ ...e, seq: start + i })),
          ...last.map((e, i) => ({ ...e, seq: start + first.length + skipped + i })),
        ];
        return numbered.filter((l) => isKept(l.seq, total, bound));
      },
    };
  }
}

export interface LogBatch {
  count: number;
  number(start: number, total: number): (LogEntry & { seq: number })[];
}
