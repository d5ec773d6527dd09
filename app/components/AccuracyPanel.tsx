import { Link } from "@remix-run/react";
import { Panel } from "./Panel.js";
import { linkClass } from "./styles.js";
import { TableFrame, TableHead } from "./Table.js";

export interface AccuracyWeek {
  week: string;
  scored: number;
  errorDays: number;
  rmspe: number | null;
  cvRmspe: number | null;
  bias: number | null;
  coverage: number | null;
  mismatches: number;
  versions: number[];
}

export interface DriftView {
  state: "ok" | "degraded";
  why: string[];
  since: string | null;
  action: string | null;
}

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(1)}%`);

/**
 * The store page's "How its forecasts did": each recent week's realized error beside the CV error
 * its versions promised, the band's coverage and bias, and the series' drift state with its reasons.
 */
export function AccuracyPanel({ weeks, drift }: { weeks: readonly AccuracyWeek[]; drift: DriftView | null }) {
  const scored = weeks.filter((w) => w.scored > 0);
  return (
    <Panel id="series-accuracy-heading" title="How its forecasts did" data-testid="series-accuracy">
      <p className="text-sm" data-testid="drift-state">
        {drift === null ? (
          "Not checked for drift yet (the drift check runs daily)."
        ) : drift.state === "ok" ? (
          "Drift: none. It forecasts about as well as cross-validation promised."
        ) : (
          <>
            <strong className="text-amber-700 dark:text-amber-400">Degraded</strong>
            {drift.since ? ` since ${drift.since}` : ""}: {drift.why.join("; ")}.
            {drift.action ? ` Action: ${drift.action}.` : ""}{" "}
            <Link className={linkClass} to="/accuracy#degraded-heading">
              All degraded series
            </Link>
          </>
        )}
      </p>
      {scored.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">
          No forecast of this series scored yet: days are scored as their actual sales arrive.
        </p>
      ) : (
        <TableFrame>
          <caption className="sr-only">Realized accuracy per week, newest last, beside the CV error</caption>
          <TableHead
            columns={[
              { label: "Week of" },
              { label: "Realized RMSPE", numeric: true },
              { label: "CV RMSPE", numeric: true },
              { label: "Inside the band", numeric: true },
              { label: "Bias", numeric: true },
              { label: "Days", numeric: true },
              { label: "Versions" },
            ]}
          />
          <tbody data-testid="accuracy-weeks">
            {scored.map((w) => (
              <tr key={w.week} className="border-t border-slate-100 dark:border-slate-800">
                <th scope="row" className="px-3 py-1.5 text-left font-medium tabular-nums">
                  {w.week}
                </th>
                <td className="px-3 py-1.5 text-right tabular-nums">{pct(w.rmspe)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{pct(w.cvRmspe)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{pct(w.coverage)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{pct(w.bias)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">
                  {w.errorDays}
                  {w.mismatches > 0 ? ` (+${w.mismatches} open/closed mismatch)` : ""}
                </td>
                <td className="px-3 py-1.5 tabular-nums">{w.versions.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      )}
    </Panel>
  );
}
