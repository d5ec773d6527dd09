/**
 * The ad-hoc forecast form: a GET form (`?begin=&end=`) the page's loader answers. Without
 * JavaScript it navigates; with it, the page passes a fetcher's Form so the address (and a
 * reload) keep showing only the weekly forecast. Field errors sit next to their field.
 */
import type { useFetcher } from "@remix-run/react";
import { Panel } from "./Panel.js";
import { linkClass } from "./styles.js";

export interface AdhocFormState {
  begin: string;
  end: string;
  maxDays: number;
  /** The forecast window: the first and last day a forecast may cover (null before any sales). */
  window: { first: string; last: string } | null;
  errors: { begin?: string; end?: string; form?: string } | null;
}

const inputClass =
  "mt-1 rounded-md border bg-white px-3 py-2 dark:bg-slate-900 dark:text-slate-100 aria-invalid:border-red-600 aria-invalid:dark:border-red-400 border-slate-300 dark:border-slate-700";

function DateField({
  name,
  label,
  value,
  error,
  window,
}: {
  name: "begin" | "end";
  label: string;
  value: string;
  error: string | undefined;
  window: AdhocFormState["window"];
}) {
  return (
    <div className="flex flex-col">
      <label htmlFor={name} className="text-sm font-medium">
        {label}
      </label>
      <input
        // A new default (e.g. after a product change) replaces what the field shows.
        key={value}
        id={name}
        name={name}
        type="date"
        defaultValue={value}
        min={window?.first}
        max={window?.last}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
        className={inputClass}
      />
      {error ? (
        <p id={`${name}-error`} className="mt-1 max-w-64 text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function AdhocForm({
  action,
  product,
  state,
  fetcher,
  shown,
  clearHref,
  onClear,
}: {
  action: string;
  product: string;
  state: AdhocFormState;
  fetcher: ReturnType<typeof useFetcher>;
  /** Whether an ad-hoc forecast is on the chart. */
  shown: boolean;
  clearHref: string;
  onClear: () => void;
}) {
  const busy = fetcher.state !== "idle";
  const fields = (
    <>
      <input type="hidden" name="product" value={product} />
      <div className="flex flex-wrap items-start gap-3">
        <DateField name="begin" label="Begin" value={state.begin} error={state.errors?.begin} window={state.window} />
        <DateField name="end" label="End" value={state.end} error={state.errors?.end} window={state.window} />
        <button
          type="submit"
          disabled={busy}
          className="mt-6 rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 disabled:bg-slate-400"
        >
          Forecast
        </button>
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        Both days included, at most {state.maxDays} days
        {state.window ? `, from ${state.window.first} to ${state.window.last}` : ""}. The result is drawn on the chart
        and not stored.
      </p>
      {busy ? (
        <p className="text-sm" role="status">
          Forecasting…
        </p>
      ) : null}
      {state.errors?.form ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {state.errors.form}
        </p>
      ) : null}
      {shown ? (
        <p className="text-sm">
          <a
            href={clearHref}
            onClick={(event) => {
              event.preventDefault();
              onClear();
            }}
            className={linkClass}
          >
            Remove the ad-hoc forecast from the chart
          </a>
        </p>
      ) : null}
    </>
  );
  return (
    <Panel id="adhoc-heading" title="Forecast custom dates">
      <fetcher.Form method="get" action={action} className="space-y-2" noValidate>
        {fields}
      </fetcher.Form>
    </Panel>
  );
}
