/**
 * How the Models and Pipelines pages print times, durations, metrics and run counts. Everything is
 * UTC and locale-free on purpose: the server renders the HTML and the browser hydrates it, and the
 * two must print the same text whatever their time zones and languages.
 */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const formatInteger = (n: number): string => integer.format(n);

/** `2026-01-03 10:00 UTC`, or an en dash for no time. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) return "–";
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `850 ms`, `31.2 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const seconds = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min ${String(seconds).padStart(2, "0")} s`;
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, "0")} min`;
}

/** A cross-validation metric: 3 significant decimals for ratios (RMSPE, MAPE), whole numbers for sales. */
export function formatMetric(value: number | null | undefined, kind: "ratio" | "sales"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return kind === "ratio" ? value.toFixed(3) : integer.format(value);
}

/**
 * A difference of two metrics with its sign (`+0.012`, `−3`), precise enough to be seen: one under
 * the metric's printed precision (0.0008 in RMSPE, 0.4 in sales) gets two significant digits
 * rather than reading as zero.
 */
export function formatDifference(value: number | null | undefined, kind: "ratio" | "sales"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  const size = Math.abs(value);
  const small = size > 0 && size < (kind === "ratio" ? 0.001 : 1);
  return `${sign}${small ? size.toPrecision(2) : formatMetric(size, kind)}`;
}

/** Fields of a run's counts that say nothing a reader needs (the run id and duration have their own columns). */
const HIDDEN_COUNTS = new Set(["runId", "durationMs", "status"]);

/**
 * Counts come back from jsonb with their keys re-ordered (by length): the figures a reader looks
 * for first go first, the rest follow alphabetically.
 */
const COUNT_ORDER = ["series", "trained", "skipped", "failed", "forecast", "forecastRows", "rows", "excludedDays"];
const rank = (key: string) => {
  const i = COUNT_ORDER.indexOf(key);
  return i === -1 ? COUNT_ORDER.length : i;
};

/** `forecastRows` -> `forecast rows`. */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();

/**
 * A pipeline run's counts as short phrases (`trained 1,115`, `skipped 0`, `forecast rows 7,805`):
 * the numbers and a note. Counts differ by kind, so they are read generically; lists (e.g.
 * failures) are summarised by `runFailures`.
 */
export function describeCounts(counts: Record<string, unknown> | null | undefined): string[] {
  if (!counts || typeof counts !== "object") return [];
  const out: string[] = [];
  const entries = Object.entries(counts).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  for (const [key, value] of entries) {
    if (HIDDEN_COUNTS.has(key)) continue;
    if (typeof value === "number" && Number.isFinite(value)) out.push(`${words(key)} ${integer.format(value)}`);
    else if (key === "note" && typeof value === "string" && value !== "") out.push(value);
  }
  return out;
}

export interface RunFailure {
  series: string;
  reason: string;
}

/** The series a run could not train or forecast, with reasons (train-all lists the first ones). */
export function runFailures(counts: Record<string, unknown> | null | undefined): RunFailure[] {
  const list = counts && Array.isArray(counts.failures) ? counts.failures : [];
  const out: RunFailure[] = [];
  for (const f of list) {
    if (!f || typeof f !== "object") continue;
    const { store, productname, reason } = f as Record<string, unknown>;
    out.push({
      series: `store ${String(store ?? "?")} ${typeof productname === "string" ? productname : ""}`.trim(),
      reason: typeof reason === "string" ? reason : "no reason recorded",
    });
  }
  return out;
}
