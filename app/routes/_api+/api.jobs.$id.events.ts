import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import type { z } from "zod";
import type { JobEvent, JobInfo } from "../../jobs/port.js";
import { FINAL_JOB_STATUSES } from "../../jobs/port.js";
import { api, methodNotAllowed } from "../../server/api.server.js";
import { getJobOr404, jobQueue } from "../../server/api-jobs.server.js";
import type { jobEvent } from "./contract.server.js";

const HEARTBEAT_MS = 15_000;
const STATUS_RANK: Record<string, number> = { PENDING: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, STOPPED: 2 };

/** One event's data, as the contract declares it (`jobEvent`). */
type Snapshot = z.input<typeof jobEvent>;

/** Whether `next` tells a client something newer than `last` (events may race the initial read). */
function advances(last: Snapshot | null, next: Snapshot): boolean {
  if (!last) return true;
  const rank = (STATUS_RANK[next.status] ?? 0) - (STATUS_RANK[last.status] ?? 0);
  if (rank !== 0) return rank > 0 || next.status === "PENDING"; // PENDING again: a retry
  if (next.status !== last.status) return true;
  const a = last.progress;
  const b = next.progress;
  if (!b) return false;
  if (!a) return true;
  return b.done > a.done || b.total !== a.total;
}

/** The state a client is sent, from a job read or an event (both carry these fields). */
const snapshotOf = (job: JobEvent | JobInfo): Snapshot => ({
  id: job.id,
  status: job.status,
  progress: job.progress,
  error: job.error,
  ...(job.status === "SUCCEEDED" ? { result: job.result ?? null } : {}),
});

/**
 * GET /api/jobs/:id/events: server-sent events of one job. The current state comes first, then one
 * `data:` event per status or progress change (each the whole state: id, status, progress, error,
 * result once SUCCEEDED); the stream ends after a final status (SUCCEEDED, FAILED, STOPPED). A
 * comment line every 15 s keeps proxies from closing an idle stream.
 */
export function loader({ request, params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const jobs = jobQueue(context);
    const id = params.id ?? "";
    await getJobOr404(jobs, id);
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let closed = false;
        let last: Snapshot | null = null;
        let seq = 0;
        let buffered: Snapshot[] | null = [];
        const write = (text: string) => {
          if (closed) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            close();
          }
        };
        const send = (s: Snapshot) => {
          if (closed || !advances(last, s)) return;
          last = s;
          write(`id: ${++seq}\ndata: ${JSON.stringify(s)}\n\n`);
          if (FINAL_JOB_STATUSES.has(s.status)) close();
        };
        const onEvent = (e: JobEvent) => {
          const s = snapshotOf(e);
          if (buffered) buffered.push(s);
          else send(s);
        };
        // Subscribe before reading the state, so no change falls between the two.
        const unsubscribe = jobs.subscribe(id, onEvent);
        const heartbeat = setInterval(() => write(": heartbeat\n\n"), HEARTBEAT_MS);
        function close() {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          unsubscribe();
          request.signal.removeEventListener("abort", close);
          try {
            controller.close();
          } catch {
            // already closed by the client going away
          }
        }
        cleanup = close;
        request.signal.addEventListener("abort", close);
        if (request.signal.aborted) return close();
        write("retry: 2000\n\n");
        jobs.get(id).then(
          (job) => {
            const pending = buffered ?? [];
            buffered = null;
            if (job) send(snapshotOf(job));
            for (const s of pending) send(s);
          },
          () => close(),
        );
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
      },
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
