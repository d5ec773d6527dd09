/**
 * A Vega-Lite chart drawn in the browser only: vega-embed is imported on mount (never on the
 * server, never in the first bundle) and renders SVG. Until it has drawn, and without JavaScript,
 * the `fallback` (a text or table version of the chart) is shown, so the page reads without it.
 */
import { type ReactNode, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { TopLevelSpec } from "vega-lite";

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribeToScheme(onChange: () => void): () => void {
  const media = window.matchMedia(DARK_QUERY);
  media.addEventListener("change", onChange);
  return () => media.removeEventListener("change", onChange);
}

/** Whether the system asks for dark colours (false on the server); follows changes live. */
export function usePrefersDark(): boolean {
  return useSyncExternalStore(
    subscribeToScheme,
    () => window.matchMedia(DARK_QUERY).matches,
    () => false,
  );
}

export interface VegaChartProps {
  /** The spec, or a builder told whether the page is dark (the page follows the system setting). */
  spec: TopLevelSpec | ((theme: { dark: boolean }) => TopLevelSpec);
  /** The chart's accessible name (the container has role="img"). */
  label: string;
  /** Shown on the server, before the chart is drawn, and if drawing fails. */
  fallback?: ReactNode;
  className?: string;
}

type DrawState = "pending" | "drawn" | "failed";

export function VegaChart({ spec, label, fallback, className }: VegaChartProps) {
  const target = useRef<HTMLDivElement>(null);
  const dark = usePrefersDark();
  const [state, setState] = useState<DrawState>("pending");
  // Shown, not logged: in the browser there is no server log to send it to.
  const [problem, setProblem] = useState<string | null>(null);
  const resolved = typeof spec === "function" ? spec({ dark }) : spec;
  // Redraw when the spec's content changes, not on every render that builds an equal object.
  const json = JSON.stringify(resolved);

  useEffect(() => {
    let cancelled = false;
    let finalize: (() => void) | undefined;
    import("vega-embed")
      .then(({ default: embed }) => {
        if (cancelled || !target.current) return;
        // The wrapper names the chart; Vega's own ARIA labels on marks and legends would only add
        // noise (and a legend labelled "...legend..." matches a search for a field called "End").
        return embed(target.current, JSON.parse(json) as TopLevelSpec, {
          renderer: "svg",
          actions: false,
          config: { aria: false },
          // Expressions interpreted, not compiled with new Function(): the CSP allows no 'unsafe-eval'.
          ast: true,
        });
      })
      .then((result) => {
        if (!result) return;
        if (cancelled) {
          result.finalize();
          return;
        }
        // Vega labels its element with the spec's description: the wrapper already carries the name.
        for (const name of ["role", "aria-label", "aria-roledescription"]) target.current?.removeAttribute(name);
        finalize = () => result.finalize();
        setState("drawn");
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        setProblem(err instanceof Error ? err.message : String(err));
        setState("failed");
      });
    return () => {
      cancelled = true;
      finalize?.();
    };
  }, [json]);

  return (
    <div className={className}>
      {/* Vega sets its own role and label on the element it draws in, so the accessible name sits on a
          wrapper. vega-embed makes its element inline-block; the inline width keeps "container" width working. */}
      <div role="img" aria-label={label} hidden={state === "failed"}>
        <div ref={target} style={{ width: "100%" }} />
      </div>
      {state === "drawn" ? null : (
        <div data-testid="chart-fallback">
          {state === "failed" ? (
            <p className="text-sm text-red-700 dark:text-red-400">
              The chart could not be drawn{problem ? `: ${problem}` : "."}
            </p>
          ) : null}
          {fallback}
        </div>
      )}
    </div>
  );
}
