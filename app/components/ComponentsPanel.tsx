/**
 * The store page's "Why this forecast": the weekly forecast taken apart into its trend, weekly
 * pattern, time of year and each regressor's effect, in sentences, as a waterfall per day, and (always
 * in the page, for reading without JavaScript) as a table of numbers under it.
 */
import type { ComponentsChartInput } from "../charts/components.js";
import { componentsSpec } from "../charts/components.js";
import type { ForecastComponents } from "../forecasting/components.server.js";
import { Panel } from "./Panel.js";
import { TableFrame, TableHead } from "./Table.js";
import { VegaChart } from "./VegaChart.js";

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const signed = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, signDisplay: "exceptZero" });

const ON_WORDS: Record<string, string> = {
  promo: "promo",
  schoolholiday: "school holiday",
  stateholiday: "state holiday",
};

export type ComponentsView = ForecastComponents | { unavailable: string } | null;

function ComponentsTable({ c }: { c: ForecastComponents }) {
  return (
    <TableFrame>
      <caption className="sr-only">The forecast's components per day, in sales; they add up to the forecast</caption>
      <TableHead
        columns={[
          { label: "Day" },
          ...c.terms.map((t) => ({ label: t.label, numeric: true, key: t.key })),
          { label: "Forecast", numeric: true },
        ]}
      />
      <tbody data-testid="components-rows">
        {c.days.map((d) => (
          <tr key={d.date} className="border-t border-slate-100 dark:border-slate-800">
            <th scope="row" className="px-3 py-1.5 text-left font-medium tabular-nums">
              {d.date}
              {d.on.length > 0 ? (
                <span className="block text-xs font-normal text-slate-500 dark:text-slate-400">
                  {d.on.map((r) => ON_WORDS[r] ?? r).join(", ")}
                </span>
              ) : null}
            </th>
            {d.open ? (
              <>
                {c.terms.map((t) => (
                  <td key={t.key} className="px-3 py-1.5 text-right tabular-nums">
                    {t.key === "trend" ? number.format(d.parts[t.key] ?? 0) : signed.format(d.parts[t.key] ?? 0)}
                  </td>
                ))}
                <td className="px-3 py-1.5 text-right font-medium tabular-nums">
                  {number.format(d.forecast)}
                  {d.yhat < 0 ? " (sum below 0)" : ""}
                </td>
              </>
            ) : (
              <td colSpan={c.terms.length + 1} className="px-3 py-1.5 text-right text-slate-500 dark:text-slate-400">
                Closed: forecast 0
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}

export function ComponentsPanel({ components }: { components: ComponentsView }) {
  return (
    <Panel id="components-heading" title="Why this forecast" data-testid="forecast-components">
      {components === null ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">
          No weekly forecast to explain yet: retrain this series first.
        </p>
      ) : "unavailable" in components ? (
        <p className="text-sm text-slate-600 dark:text-slate-300">{components.unavailable}</p>
      ) : (
        <Explained c={components} />
      )}
    </Panel>
  );
}

function Explained({ c }: { c: ForecastComponents }) {
  const input: ComponentsChartInput = { terms: c.terms, days: c.days };
  const spec = componentsSpec(input);
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-300">
        The weekly forecast of {c.modelName} version {c.modelVersion}
        {c.stage === "production" ? "" : ` (now ${c.stage})`}, taken apart: the trend plus each effect below adds up to
        the forecast of each open day.
      </p>
      {c.sentences.length > 0 ? (
        <ul className="list-disc space-y-1 pl-5 text-sm" data-testid="components-sentences">
          {c.sentences.map((s) => (
            <li key={s.component} data-component={s.component}>
              {s.text}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm">The store is closed all week: nothing to explain.</p>
      )}
      {spec ? (
        <VegaChart
          spec={({ dark }) => componentsSpec(input, { dark }) ?? spec}
          label={`Forecast components per day: ${c.terms.map((t) => t.label).join(", ")}, each from where the one before ended; the forecast is their sum`}
          fallback={<p className="text-sm text-slate-600 dark:text-slate-300">The numbers are in the table below.</p>}
          className="min-h-[280px] w-full"
        />
      ) : null}
      <details className="text-sm" data-testid="components-table">
        <summary className="cursor-pointer">The numbers (sales per day)</summary>
        <div className="mt-2">
          <ComponentsTable c={c} />
        </div>
      </details>
    </>
  );
}
