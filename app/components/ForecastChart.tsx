/**
 * The store page's chart with its heading: title and subtitle as text (the browser tests read
 * the model version from the subtitle), the Vega-Lite chart drawn in the browser, and, without
 * JavaScript or until it is drawn, the same numbers as tables.
 */
import { useMemo } from "react";
import {
  type ChartRow,
  chartRows,
  type ForecastChartInput,
  forecastHeading,
  forecastSpec,
  SERIES,
} from "../charts/forecast.js";
import { VegaChart } from "./VegaChart.js";

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function BandTable({ caption, rows }: { caption: string; rows: ChartRow[] }) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="py-1 text-left font-medium">{caption}</caption>
      <thead className="text-slate-600 dark:text-slate-300">
        <tr>
          <th scope="col" className="py-1 pr-3">
            Date
          </th>
          <th scope="col" className="py-1 pr-3 text-right">
            Sales
          </th>
          <th scope="col" className="py-1 text-right">
            95% interval
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.date} className="border-t border-slate-100 dark:border-slate-800">
            <th scope="row" className="py-1 pr-3 font-normal tabular-nums">
              {r.date}
            </th>
            <td className="py-1 pr-3 text-right tabular-nums">{number.format(r.value)}</td>
            <td className="py-1 text-right tabular-nums">
              {r.lower === null || r.upper === null ? "–" : `${number.format(r.lower)} – ${number.format(r.upper)}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the chart shows, in words and tables: the page reads without JavaScript. */
function ChartFallback({ rows }: { rows: ChartRow[] }) {
  const actual = rows.filter((r) => r.series === SERIES.actual);
  const weekly = rows.filter((r) => r.series === SERIES.weekly);
  const adhoc = rows.filter((r) => r.series === SERIES.adhoc);
  const open = actual.filter((r) => r.value > 0);
  const mean = open.length ? open.reduce((n, r) => n + r.value, 0) / open.length : null;
  const lastActual = actual.at(-1);
  return (
    <div className="space-y-4 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <p className="text-sm">
        {SERIES.actual}: {actual.length} days
        {actual.length ? ` from ${actual[0]!.date} to ${lastActual!.date}` : ""}
        {mean === null ? "" : `, ${number.format(mean)} a day on average when open`}
        {lastActual ? `; ${number.format(lastActual.value)} on ${lastActual.date}` : ""}.
      </p>
      <div className="grid gap-4 md:grid-cols-2">
        {weekly.length ? <BandTable caption={SERIES.weekly} rows={weekly} /> : null}
        {adhoc.length ? <BandTable caption={SERIES.adhoc} rows={adhoc} /> : null}
      </div>
    </div>
  );
}

export function ForecastChart({ input }: { input: ForecastChartInput }) {
  const heading = forecastHeading(input.weekly);
  const rows = useMemo(() => chartRows(input), [input]);
  const label = heading
    ? `${heading.title}. ${heading.subtitle}${input.adhoc ? `. With an ad-hoc forecast from ${input.adhoc.points[0]?.date ?? ""}` : ""}`
    : "Actual sales of the last 8 weeks; no forecast yet";
  return (
    <figure className="space-y-2" aria-labelledby="forecast-title">
      <figcaption>
        <h2 id="forecast-title" className="text-lg font-semibold">
          {heading ? heading.title : "No weekly forecast yet"}
        </h2>
        <p data-testid="forecast-subtitle" className="text-sm text-slate-600 dark:text-slate-300">
          {heading ? heading.subtitle : "Retrain this series to fit a model and write its 7-day forecast."}
        </p>
      </figcaption>
      <VegaChart
        spec={({ dark }) => forecastSpec(input, { dark })}
        label={label}
        fallback={<ChartFallback rows={rows} />}
        className="min-h-[340px] w-full"
      />
    </figure>
  );
}
