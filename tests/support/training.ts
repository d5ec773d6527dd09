/**
 * Waiting on a running server's background work through its HTTP API: the initial training (a
 * train-all run) and single jobs. Used by the integration and browser tests and the page and API
 * benchmarks, which all start a real server on a fresh database and must wait for its models.
 */

export const FINAL_STATUSES = ["SUCCEEDED", "FAILED", "STOPPED"];

async function getJson<T>(url: string, headers?: Record<string, string>): Promise<T> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export interface TrainAllRun {
  id: number;
  status: string;
  progressDone: number;
  progressTotal: number;
}

/**
 * Waits until the server's newest train-all run has SUCCEEDED over at least `series` series (the
 * server starts one on an empty registry). Throws when it fails or `limitMs` passes; `onProgress`
 * hears each change of status or progress. Returns how long it waited.
 */
export async function waitForTrainAll(
  url: string,
  opts: {
    series: number;
    limitMs?: number;
    onProgress?: (line: string) => void;
    /** Credentials when the server has auth on (a session cookie or a bearer token). */
    headers?: Record<string, string>;
  },
): Promise<number> {
  const started = Date.now();
  const limitMs = opts.limitMs ?? 150_000;
  let last = "";
  for (;;) {
    const { runs } = await getJson<{ runs: TrainAllRun[] }>(
      `${url}/api/pipeline-runs?kind=train-all&limit=1`,
      opts.headers,
    );
    const run = runs[0];
    const line = run ? `${run.status} ${run.progressDone}/${run.progressTotal}` : "not started";
    if (line !== last) opts.onProgress?.(line);
    last = line;
    if (run?.status === "SUCCEEDED" && run.progressTotal >= opts.series) return Date.now() - started;
    if (run && (run.status === "FAILED" || run.status === "STOPPED")) throw new Error(`train-all run ${run.status}`);
    if (Date.now() - started > limitMs) throw new Error(`train-all not finished within ${limitMs} ms: ${line}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface JobState {
  id: string;
  kind: string;
  status: string;
  progress: { done: number; total: number } | null;
  result: unknown;
  error: string | null;
}

/** Polls GET /api/jobs/:id until the job ends (or throws after `limitMs`). */
export async function waitForJob(
  url: string,
  id: string,
  limitMs = 120_000,
  headers?: Record<string, string>,
): Promise<JobState> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const job = await getJson<JobState>(`${url}/api/jobs/${encodeURIComponent(id)}`, headers);
    if (FINAL_STATUSES.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every store the server lists (GET /api/stores, a page of 1,000 at a time). */
export async function listStoreIds(url: string): Promise<number[]> {
  const out: number[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { stores } = await getJson<{ stores: { store: number }[] }>(`${url}/api/stores?limit=1000&offset=${offset}`);
    out.push(...stores.map((s) => s.store));
    if (stores.length < 1000) return out;
  }
}
