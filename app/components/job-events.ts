/**
 * Follows one job live in the browser through its server-sent events (GET /api/jobs/:id/events):
 * status and progress as they change, until a final status. Without EventSource (or JavaScript)
 * the page shows what its loader read, so nothing here is needed to read the page.
 */
import { useEffect, useRef, useState } from "react";
import { FINAL_JOB_STATUSES } from "../jobs/port.js";

export interface JobSnapshot {
  id: string;
  status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "STOPPED";
  progress: { done: number; total: number } | null;
  error: string | null;
  result?: unknown;
}

function parseSnapshot(text: string): JobSnapshot | null {
  try {
    const value = JSON.parse(text) as Partial<JobSnapshot>;
    return typeof value.id === "string" && typeof value.status === "string" ? (value as JobSnapshot) : null;
  } catch {
    return null;
  }
}

/**
 * The job's latest snapshot: `initial` (what the loader read) until the first event arrives.
 * `onFinal` runs once when the job ends (e.g. to reload the page's data). `lost` says the browser
 * gave up on the stream (e.g. the job is unknown to this server): poll instead.
 */
/**
 * What to show: the streamed state while the stream is alive; once it is lost the page polls its
 * loader, so the loader's state (`initial`) is then the fresher one.
 */
export function currentSnapshot(
  jobId: string | null,
  live: JobSnapshot | null,
  initial: JobSnapshot | null,
  lost: boolean,
): JobSnapshot | null {
  const streamed = live && live.id === jobId ? live : null;
  return lost ? (initial ?? streamed) : (streamed ?? initial);
}

export function useJobEvents(
  jobId: string | null,
  initial: JobSnapshot | null,
  onFinal?: (snapshot: JobSnapshot) => void,
): { snapshot: JobSnapshot | null; lost: boolean } {
  const [live, setLive] = useState<JobSnapshot | null>(null);
  const [lost, setLost] = useState(false);
  const onFinalRef = useRef(onFinal);
  onFinalRef.current = onFinal;
  // Read when the job changes only: a reload of the same job must not restart the stream.
  const initialRef = useRef(initial);
  initialRef.current = initial;

  useEffect(() => {
    setLive(null);
    setLost(false);
    if (!jobId || typeof EventSource === "undefined") return;
    const start = initialRef.current;
    if (start && start.id === jobId && FINAL_JOB_STATUSES.has(start.status)) return;
    const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
    source.onmessage = (event: MessageEvent<string>) => {
      const snapshot = parseSnapshot(event.data);
      if (!snapshot) return;
      setLive(snapshot);
      if (FINAL_JOB_STATUSES.has(snapshot.status)) {
        // The server ends the stream here; closing first stops EventSource from reconnecting.
        source.close();
        onFinalRef.current?.(snapshot);
      }
    };
    // The browser reconnects by itself after a dropped connection; CLOSED means it gave up.
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setLost(true);
    };
    return () => source.close();
  }, [jobId]);

  return { snapshot: currentSnapshot(jobId, live, initial, lost), lost };
}
