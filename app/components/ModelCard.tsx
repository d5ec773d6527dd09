import { Link } from "@remix-run/react";
import { formatDateTime, formatDuration, formatInteger, formatMetric } from "../display.js";

/** The production version as the store page shows it (dates may arrive as strings). */
export interface ModelCardData {
  name: string;
  version: number;
  versions: number;
  trainedAt: Date | string;
  promotedAt: Date | string | null;
  trainStart: string;
  trainEnd: string;
  trainRows: number;
  durationMs: number;
  folds: number | null;
  cv: { rmspe: number | null; rmse: number | null; mape: number | null; mae: number | null; mdae: number | null };
}

const dt = "text-slate-500 dark:text-slate-400";

export function ModelCard({ card, store, product }: { card: ModelCardData | null; store: number; product: string }) {
  return (
    <section
      aria-labelledby="model-card-heading"
      data-testid="model-card"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="model-card-heading" className="text-lg font-semibold">
        Model in production
      </h2>
      {card ? (
        <>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
            <dt className={dt}>Version</dt>
            <dd className="tabular-nums" data-testid="model-version">
              {card.version}
              <span className="text-slate-500 dark:text-slate-400"> of {card.versions}</span>
            </dd>
            <dt className={dt}>Trained at</dt>
            <dd className="tabular-nums">{formatDateTime(card.trainedAt)}</dd>
            <dt className={dt}>Training window</dt>
            <dd className="tabular-nums">
              {card.trainStart} to {card.trainEnd}
              <span className="text-slate-500 dark:text-slate-400"> ({formatInteger(card.trainRows)} open days)</span>
            </dd>
            <dt className={dt}>Fit and validation</dt>
            <dd className="tabular-nums">{formatDuration(card.durationMs)}</dd>
            <dt className={dt}>Model</dt>
            <dd className="break-all">{card.name}</dd>
          </dl>
          <table className="w-full text-left text-sm">
            <caption className="pb-1 text-left font-medium">
              Cross-validation{card.folds ? ` (${card.folds} folds of 7 days, mean)` : ""}
            </caption>
            <tbody>
              {(
                [
                  ["RMSPE", formatMetric(card.cv.rmspe, "ratio")],
                  ["MAPE", formatMetric(card.cv.mape, "ratio")],
                  ["RMSE", formatMetric(card.cv.rmse, "sales")],
                  ["MAE", formatMetric(card.cv.mae, "sales")],
                  ["Median absolute error", formatMetric(card.cv.mdae, "sales")],
                ] as const
              ).map(([name, value]) => (
                <tr key={name} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className={`py-1 pr-3 font-normal ${dt}`}>
                    {name}
                  </th>
                  <td className="py-1 text-right tabular-nums">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-300">
          No model yet for this series: Retrain fits one (a model needs at least 14 open days of history).
        </p>
      )}
      <p className="text-sm">
        <Link
          to={`/models/${store}/${encodeURIComponent(product)}`}
          className="text-blue-700 underline-offset-2 hover:underline dark:text-blue-400"
        >
          All versions of this model
        </Link>
      </p>
    </section>
  );
}
