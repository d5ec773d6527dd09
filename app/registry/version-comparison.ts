/**
 * Two versions' cross-validation metrics side by side: each metric of A and B, the difference B - A
 * and which is better (every metric here is an error: lower is better). Pure, shared by the compare
 * page and its tests.
 */
import type { VersionSummary } from "./versions.server.js";

export type MetricKind = "ratio" | "sales";

export interface MetricRow {
  key: "cvRmspe" | "cvMape" | "cvRmse" | "cvMae" | "cvMdae";
  label: string;
  kind: MetricKind;
  a: number | null;
  b: number | null;
  /** b - a; null when either is missing. */
  difference: number | null;
  /** Which version has the lower error; null on a tie or a missing value. */
  better: "a" | "b" | null;
}

const METRICS: readonly Pick<MetricRow, "key" | "label" | "kind">[] = [
  { key: "cvRmspe", label: "CV RMSPE", kind: "ratio" },
  { key: "cvMape", label: "CV MAPE", kind: "ratio" },
  { key: "cvRmse", label: "CV RMSE", kind: "sales" },
  { key: "cvMae", label: "CV MAE", kind: "sales" },
  { key: "cvMdae", label: "CV MdAE", kind: "sales" },
];

type Scored = Pick<VersionSummary, MetricRow["key"]>;

const usable = (n: number | null | undefined): n is number => typeof n === "number" && Number.isFinite(n);

export function compareMetrics(a: Scored, b: Scored): MetricRow[] {
  return METRICS.map((m) => {
    const va = a[m.key];
    const vb = b[m.key];
    if (!usable(va) || !usable(vb)) {
      return { ...m, a: usable(va) ? va : null, b: usable(vb) ? vb : null, difference: null, better: null };
    }
    const difference = vb - va;
    return { ...m, a: va, b: vb, difference, better: difference < 0 ? "b" : difference > 0 ? "a" : null };
  });
}
