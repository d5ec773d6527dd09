/**
 * A pipeline run's log on its page: the lines the loader read, and, with JavaScript, the new ones
 * while the run goes (it polls /pipelines/:id/log.json every two seconds: the lines live in the
 * database, so any replica answers). Without JavaScript the page shows what the loader read.
 */
import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { FINAL_JOB_STATUSES } from "../jobs/port.js";
import { type LogLevel, levelAtLeast, type RunLogLine } from "../pipelines/run-log.js";
import { Badge, type BadgeTone } from "./Badge.js";
import { formatInteger } from "./display.js";

const POLL_MS = 2_000;
const LEVEL_TONE: Record<string, BadgeTone> = { debug: "grey", info: "blue", warn: "amber", error: "red" };

export interface RunLogView {
  lines: RunLogLine[];
  total: number;
  dropped: { from: number; to: number } | null;
}

interface LogUpdate extends RunLogView {
  status: string;
}

/** The time of a line: `10:04:05.123` (UTC, as the rest of the page). */
const timeOf = (iso: string) => iso.slice(11, 23);

export function RunLog({
  runId,
  status,
  level,
  initial,
}: {
  runId: number;
  status: string;
  level: LogLevel | null;
  initial: RunLogView;
}) {
  const [view, setView] = useState(initial);
  const [live, setLive] = useState(false);
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  // A new loader result (navigation, revalidation) replaces what was followed.
  useEffect(() => setView(initial), [initial]);

  const running = !FINAL_JOB_STATUSES.has(status);
  const lastSeq = view.lines.at(-1)?.seq ?? -1;
  const after = useRef(lastSeq);
  after.current = Math.max(after.current, lastSeq);

  useEffect(() => {
    if (!running) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const query = new URLSearchParams({ after: String(after.current) });
        if (level) query.set("level", level);
        const res = await fetch(`/pipelines/${runId}/log.json?${query}`, { headers: { Accept: "application/json" } });
        if (!res.ok) throw new Error(String(res.status));
        const update = (await res.json()) as LogUpdate;
        if (stopped) return;
        setLive(true);
        setView((v) => {
          const seen = new Set(v.lines.map((l) => l.seq));
          const fresh = update.lines.filter((l) => !seen.has(l.seq) && (!level || levelAtLeast(l.level, level)));
          // Lines that fell out of the kept middle since are gone from the table too.
          const kept = update.dropped
            ? v.lines.filter((l) => l.seq < update.dropped!.from || l.seq >= update.dropped!.to)
            : v.lines;
          return { lines: [...kept, ...fresh], total: update.total, dropped: update.dropped };
        });
        if (FINAL_JOB_STATUSES.has(update.status)) {
          // The run ended: the whole page (status, steps, counts) is read again.
          revalidate.current();
          return;
        }
      } catch {
        setLive(false);
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [running, runId, level]);

  const { lines, total, dropped } = view;
  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-600 dark:text-slate-300" data-testid="log-summary">
        {formatInteger(total)} {total === 1 ? "line" : "lines"} logged
        {dropped
          ? `; lines ${formatInteger(dropped.from + 1)} to ${formatInteger(dropped.to)} were dropped (a run keeps its first and its last lines)`
          : ""}
        {level ? `; showing ${level} and above (${formatInteger(lines.length)})` : ""}.
        {running ? (
          <span aria-live="polite" className="ml-1">
            {live ? "Following new lines as the run goes." : "Reload the page to see new lines."}
          </span>
        ) : null}
      </p>
      {lines.length === 0 ? (
        <p className="text-slate-600 dark:text-slate-300">
          {total === 0 ? "This run has logged nothing yet." : "No line at this level."}
        </p>
      ) : (
        <ol
          data-testid="log-lines"
          className="max-h-[32rem] overflow-auto rounded-md border border-slate-200 bg-slate-50 font-mono text-xs dark:border-slate-800 dark:bg-slate-950"
        >
          {lines.map((l, i) => (
            <li
              key={l.seq}
              data-level={l.level}
              className="flex flex-wrap items-baseline gap-x-2 border-t border-slate-100 px-2 py-1 first:border-t-0 dark:border-slate-800"
            >
              {dropped && i > 0 && lines[i - 1]!.seq < dropped.from && l.seq >= dropped.to ? (
                <span className="w-full text-slate-500">
                  … {formatInteger(dropped.to - dropped.from)} lines dropped …
                </span>
              ) : null}
              <span className="text-slate-500 tabular-nums">{l.seq + 1}</span>
              <time dateTime={l.at} className="text-slate-500 tabular-nums">
                {timeOf(l.at)}
              </time>
              <Badge tone={LEVEL_TONE[l.level] ?? "grey"}>{l.level}</Badge>
              <span className="break-words whitespace-pre-wrap">{l.message}</span>
              {l.fields ? <span className="break-all text-slate-500">{JSON.stringify(l.fields)}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
