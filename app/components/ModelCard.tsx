import { Link } from "@remix-run/react";
import type { ModelCard as ModelCardRecord } from "../registry/model-card.server.js";
import { formatDateTime, formatDuration, formatInteger, formatMetric } from "./display.js";
import { Panel } from "./Panel.js";
import { linkClass } from "./styles.js";

/** The production version as the store page shows it (dates may arrive as strings). */
export type ModelCardData = Omit<ModelCardRecord, "trainedAt" | "promotedAt"> & {
  trainedAt: Date | string;
  promotedAt: Date | string | null;
};

const dt = "text-slate-500 dark:text-slate-400";

export function ModelCard({ card, store, product }: { card: ModelCardData | null; store: number; product: string }) {
  return (
    <Panel id="model-card-heading" title="Model in production" data-testid="model-card">
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
        <Link to={`/models/${store}/${encodeURIComponent(product)}`} className={linkClass}>
          All versions of this model
        </Link>
      </p>
    </Panel>
  );
}
