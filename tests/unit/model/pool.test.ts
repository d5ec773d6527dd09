import { spawn } from "node:child_process";
import path from "node:path";
import * as workerThreads from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay } from "../../../app/days.js";
import {
  DEFAULT_CONFIG,
  type HistoryDay,
  InsufficientHistoryError,
  modelConfig,
  type PlanDay,
} from "../../../app/model/config.js";
import {
  createModelPool,
  type ModelPool,
  ModelTaskCancelledError,
  ModelTaskTimeoutError,
  workerExecArgv,
} from "../../../app/model/pool.server.js";
import { compilePredictor } from "../../../app/model/predictor.js";
import { predict } from "../../../app/model/prophet.server.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const END = parseDay("2015-07-31")!;

/** `days` days ending at END, closed on Sundays, promo every other week; `scale` sets the level. */
function history(days: number, scale = 1): HistoryDay[] {
  return Array.from({ length: days }, (_, i) => {
    const day = END - days + 1 + i;
    const open = isoWeekday(day) === 7 ? 0 : 1;
    const promo = isoWeekday(day) <= 5 && Math.floor(i / 7) % 2 === 0 ? 1 : 0;
    const sales = open ? Math.round(scale * (5000 + 600 * Math.sin(day) + (promo ? 1200 : 0) + 4 * i)) : 0;
    return { date: formatDay(day), sales, open, promo, stateholiday: "0", schoolholiday: 0 };
  });
}

const week: PlanDay[] = Array.from({ length: 7 }, (_, i) => ({
  date: formatDay(END + 1 + i),
  open: isoWeekday(END + 1 + i) === 7 ? 0 : 1,
  promo: 0,
  stateholiday: "0",
  schoolholiday: 0,
}));

describe("model pool", () => {
  let pool: ModelPool;
  beforeAll(() => {
    pool = createModelPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it("trains and predicts in threads", async () => {
    expect(pool.threads).toBe(2);
    const [a, b] = await Promise.all([
      pool.train(history(120), DEFAULT_CONFIG, { future: week }),
      pool.train(history(120, 2), modelConfig("seed"), { future: week }),
    ]);
    expect(a.trainRows).toBe(history(120).filter((h) => h.open).length);
    expect(a.cv?.folds).toHaveLength(5);
    expect(a.forecast).toHaveLength(7);
    expect(b.model.config).toMatchObject({ kind: "seed", yearly: true, regressors: [] });

    // The thread's replay matches the main thread's, and both the fit's own forecast.
    const [viaPool, local] = [await pool.predict(a.model, week), predict(a.model, week)];
    for (const [i, p] of viaPool.entries()) {
      expect(p.date).toBe(week[i]!.date);
      expect(Math.abs(p.value - local[i]!.value)).toBeLessThan(1e-6 * Math.max(1, p.value));
      expect(Math.abs(p.value - a.forecast![i]!.value)).toBeLessThan(1e-6 * Math.max(1, p.value));
    }
  });

  it("fails a throwing task only: InsufficientHistoryError arrives as itself and the pool keeps working", async () => {
    const short = history(4).map((h, i) => (i === 0 ? { ...h, open: 0 as const, sales: 0 } : h)); // 3 open days
    const failed = pool.train(short, DEFAULT_CONFIG);
    await expect(failed).rejects.toBeInstanceOf(InsufficientHistoryError);
    await expect(failed).rejects.toThrow(/^insufficient history: 3 open days$/);
    await expect(failed).rejects.toMatchObject({ insufficient: true, openDays: 3 });

    // Other errors keep their message and are not mistaken for thin history.
    const bad = pool.predict((await pool.train(history(60), DEFAULT_CONFIG, { cv: false })).model, [
      { ...week[0]!, date: "2015-02-30" },
    ]);
    await expect(bad).rejects.toThrow('invalid date: "2015-02-30"');
    await expect(bad).rejects.not.toBeInstanceOf(InsufficientHistoryError);

    const results = await Promise.all([1, 2, 3, 4].map((s) => pool.train(history(120, s), DEFAULT_CONFIG)));
    expect(results.every((r) => r.trainRows > 90 && r.cv !== null)).toBe(true);
  });
});

describe("many forecasts from compiled predictors", () => {
  const close = (a: { value: number }[], b: { value: number }[]) =>
    a.every((p, i) => Math.abs(p.value - b[i]!.value) < 1e-6 * Math.max(1, p.value));

  it("answers every item in order, chunked over both threads, each as augurs would", async () => {
    const pool = createModelPool({ threads: 2 });
    try {
      const [a, b] = await Promise.all([
        pool.train(history(120), DEFAULT_CONFIG, { cv: false }),
        pool.train(history(120, 3), DEFAULT_CONFIG, { cv: false }),
      ]);
      const [wantA, wantB] = [predict(a.model, week), predict(b.model, week)];
      expect(close(wantA, wantB)).toBe(false);
      const [pa, pb] = [compilePredictor(a.model), compilePredictor(b.model)];
      // Enough items for several chunks (at least 64 each), alternating models so a mix-up shows.
      const items = Array.from({ length: 301 }, (_, i) => ({ predictor: i % 2 ? pb : pa, days: week }));
      const answers = await pool.predictMany(items);
      expect(answers).toHaveLength(301);
      for (const [i, points] of answers.entries()) expect(close(points, i % 2 ? wantB : wantA)).toBe(true);
      // The same question, the same answer, intervals included, whichever thread took it.
      expect(answers[2]).toEqual(answers[0]);
      expect(answers[3]).toEqual(answers[1]);
      expect(await pool.predictMany([])).toEqual([]);
      // predict compiles in the thread: the same answer.
      expect(await pool.predict(a.model, week)).toEqual(answers[0]);
    } finally {
      await pool.close();
    }
  });
});

describe("idle threads", () => {
  it("stops threads beyond the first when idle, and the pool goes on with the same answers", async () => {
    const pool = createModelPool({ threads: 2, idleThreadMs: 300 });
    const waitFor = async (alive: number) => {
      for (let i = 0; i < 200 && pool.stats().threadsAlive !== alive; i++) await new Promise((r) => setTimeout(r, 50));
      return pool.stats().threadsAlive;
    };
    try {
      // Four fits at once: the second thread starts, as both would be busy.
      const fits = () =>
        Promise.all([1, 2, 3, 4].map((s) => pool.train(history(120, s), DEFAULT_CONFIG, { cv: false })));
      const first = await fits();
      expect(pool.stats().threadsAlive).toBe(2);
      expect(await waitFor(1)).toBe(1);
      // The one left answers at once (a second starts if the burst outlasts its start-up), the same answers.
      const again = await fits();
      expect(again.map((r) => r.forecast)).toEqual(first.map((r) => r.forecast));
      expect(again.map((r) => r.model.params)).toEqual(first.map((r) => r.model.params));
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe("budgets: no client can hold the threads", () => {
  // One thread, so "waiting" and "running" are unambiguous.
  let pool: ModelPool;
  let items: (flood: number) => { predictor: ReturnType<typeof compilePredictor>; days: PlanDay[] }[];
  beforeAll(async () => {
    pool = createModelPool({ threads: 1 });
    const predictor = compilePredictor((await pool.train(history(120), DEFAULT_CONFIG, { cv: false })).model);
    items = (n) => Array.from({ length: n }, () => ({ predictor, days: week }));
  });
  afterAll(async () => {
    await pool?.close();
  });

  it("serves another client's small forecast before a flood queued ahead of it", async () => {
    // The largest batch a request may ask for: 100,000 points, in ~100 chunks.
    const flood = pool.predictMany(items(100_000 / 7), { client: "ip:attacker" });
    const queuedBefore = pool.stats().queued;
    expect(queuedBefore).toBeGreaterThan(50);
    const mine = await pool.predictMany(items(1), { client: "ip:user" });
    expect(mine[0]).toHaveLength(7);
    // First come, first served would have run every chunk of the flood first.
    expect(pool.stats().queued).toBeGreaterThan(queuedBefore - 5);
    expect((await flood).length).toBe(Math.floor(100_000 / 7));
  });

  it("drops a waiting task when its client leaves; a running one finishes", async () => {
    const before = pool.stats().finished;
    const flood = new AbortController();
    const floodDone = pool.predictMany(items(20_000), { client: "ip:attacker", signal: flood.signal });
    const queued = pool.stats().queued;
    expect(queued).toBeGreaterThan(50);

    const user = new AbortController();
    const gone = pool.predictMany(items(1), { client: "ip:user", signal: user.signal });
    user.abort();
    await expect(gone).rejects.toBeInstanceOf(ModelTaskCancelledError);

    flood.abort();
    await expect(floodDone).rejects.toBeInstanceOf(ModelTaskCancelledError);
    expect(pool.stats().queued).toBe(0);
    const after = pool.stats().finished;
    // Every waiting chunk of the flood and the user's task were dropped, never run.
    expect(after.cancelled - before.cancelled).toBe(queued + 1);
    expect(after.ok - before.ok).toBeLessThanOrEqual(2);
    // An already aborted signal is refused at once.
    await expect(pool.predictMany(items(1), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      ModelTaskCancelledError,
    );
    expect(await pool.predictMany(items(2))).toHaveLength(2);
  });
});

describe("a model task's time limit", () => {
  it("stops a task that runs too long, and the pool goes on with a fresh thread", async () => {
    const limitMs = 5_000;
    const pool = createModelPool({ threads: 1, taskTimeoutMs: limitMs });
    try {
      // The thread's start-up counts against the first task's limit: try until it is up.
      let model: Awaited<ReturnType<ModelPool["train"]>>["model"] | undefined;
      for (let i = 0; i < 5 && !model; i++) {
        model = await pool.train(history(60), DEFAULT_CONFIG, { cv: false }).then(
          (r) => r.model,
          (err: unknown) => {
            if (!(err instanceof ModelTaskTimeoutError)) throw err;
            return undefined;
          },
        );
      }
      // Next week and year 9999 in one question: drawing the trend's changes among the days asked,
      // over 8,000 years, takes minutes.
      const farFuture = [week[0]!, { ...week[0]!, date: "9999-01-04" }];
      const stopped = pool.predict(model!, farFuture);
      await expect(stopped).rejects.toBeInstanceOf(ModelTaskTimeoutError);
      await expect(stopped).rejects.toMatchObject({ limitMs });
      expect(pool.stats().finished.timedOut).toBe(1);
      expect(await pool.predict(model!, week)).toHaveLength(7);
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe("loading the TypeScript worker", () => {
  it("registers tsx in the threads unless they would get it by themselves", () => {
    const bare = workerExecArgv(["--conditions", "node"]);
    expect(bare?.slice(0, 3)).toEqual(["--conditions", "node", "--import"]);
    expect(decodeURIComponent(bare![3]!)).toMatch(/^data:text\/javascript,import \{ register \} from "file:.*tsx/);
    // Before Node 22.14, tsx's own loader skips worker threads, so tsx is registered explicitly.
    const inherited = workerExecArgv(["--import", "tsx"]);
    expect(inherited === undefined).toBe("isInternalThread" in workerThreads);
  });

  // The pool tests above run under Vitest (no tsx in execArgv); these run it as the app does.
  const script = `(async () => {
    const { createModelPool } = await import("./app/model/pool.server.ts");
    const { DEFAULT_CONFIG } = await import("./app/model/config.ts");
    const history = Array.from({ length: 40 }, (_, i) => ({
      date: new Date(Date.UTC(2015, 5, 1 + i)).toISOString().slice(0, 10),
      sales: 5000 + 700 * Math.sin(i) + 30 * i, open: 1, promo: i % 2, stateholiday: "0", schoolholiday: 0,
    }));
    const pool = createModelPool({ threads: 1 });
    const r = await pool.train(history, DEFAULT_CONFIG, { cv: false });
    console.log(JSON.stringify({ trainRows: r.trainRows }));
    await pool.close();
  })().catch((err) => { console.error(err); process.exit(1); });`;

  for (const [name, args] of [
    ["node --import tsx", ["--import", "tsx"]],
    ["the tsx CLI", [path.join(ROOT, "node_modules/tsx/dist/cli.mjs")]],
  ] as const) {
    it(`trains in a thread under ${name}`, async () => {
      const child = spawn(process.execPath, [...args, "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(out.trim())).toEqual({ trainRows: 40 });
    });
  }
});
