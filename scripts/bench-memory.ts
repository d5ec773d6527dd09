/**
 * Measures the embedded mode's memory the way `npm start` runs it: the production build, then
 * `tsx server.ts` with the start script's variables and no DATABASE_URL, KAFKA_BROKERS or REDIS_URL
 * (PGlite, the in-process stream and queue) in a fresh data directory, so it generates and loads the
 * history and trains every series. Once the UI answers it lets the process settle and prints its
 * resident memory (the whole process, model threads included: /proc VmRSS, and VmHWM for the peak)
 * against the target (<= 400 MB), with a breakdown from the app's own /metrics (V8 heap, external
 * memory) and /proc/<pid>/smaps_rollup (anonymous vs file-backed pages).
 *
 *   npm run bench:memory [-- --stores 1115] [--products 1] [--settle 120] [--skip-build] [--env KEY=VALUE ...]
 *
 * --env passes more server environment (e.g. NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2, MODEL_THREADS=1).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { freePort, ROOT, type SpawnedProcess, spawnScript, tempDir } from "../tests/support/processes.js";
import { waitForTrainAll } from "../tests/support/training.js";
import { printTable } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const TARGET_MIB = 400;
const log = (s: string) => process.stderr.write(`bench-memory: ${s}\n`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** VmRSS, VmHWM (bytes) and the thread count of a process, from /proc/<pid>/status. */
function procStatus(pid: number): { rss: number; hwm: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), threads: Number(/Threads:\s+(\d+)/.exec(text)?.[1] ?? 0) };
}

/** Anonymous (heaps, WASM memories) and file-backed (code, mapped files) resident bytes. */
function smapsRollup(pid: number): { anonymous: number; file: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
    const rss = kb("Rss");
    const anonymous = kb("Anonymous");
    return { anonymous, file: rss - anonymous };
  } catch {
    return { anonymous: Number.NaN, file: Number.NaN };
  }
}

/** Samples from the app's Prometheus text (unlabelled series only, which the process metrics are). */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-z_:]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ""}`, Number(m[3]));
  }
  return out;
}

/** Polls until `url` answers 2xx, or throws when the process ended or `limitMs` passed. */
async function waitUntilUp(url: string, server: SpawnedProcess, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let dead = false;
  void server.exited.then(() => {
    dead = true;
  });
  for (;;) {
    if (dead) throw new Error(`server exited:\n${server.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`server not up within ${limitMs} ms`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet (the history loads before it listens)
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for the initial train-all; a busy machine may time a poll out, which is tried again. */
async function trainedAll(url: string, server: SpawnedProcess, series: number): Promise<void> {
  for (;;) {
    try {
      await waitForTrainAll(url, { series, limitMs: 3_600_000, onProgress: (line) => log(`train-all: ${line}`) });
      return;
    } catch (err) {
      if (server.child.exitCode !== null || /train-all run/.test(String(err))) throw err;
      log(`polling failed (${String(err)}); trying again`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** The variables package.json's start script sets for `tsx server.ts` (NODE_ENV, MALLOC_ARENA_MAX). */
function startScriptEnv(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
  const command = pkg.scripts.start.split("&&").at(-1) ?? "";
  const before = command.slice(0, command.indexOf("tsx server.ts"));
  return Object.fromEntries([...before.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

function envOption(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq < 1) throw new InvalidArgumentError("expected KEY=VALUE.");
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

async function main() {
  const opts = new Command()
    .name("bench-memory")
    .option("--stores <n>", "stores (GENERATE_STORES)", integerOption(1, 100_000), 1115)
    .option("--products <n>", "products per store (GENERATE_PRODUCTS)", integerOption(1, 100), 1)
    .option("--settle <s>", "seconds to wait after the UI answers before reading", integerOption(0, 3600), 120)
    .option("--skip-build", "use the existing build/ (npm start builds first)", false)
    .option("--env <KEY=VALUE>", "more server environment (repeatable)", envOption, {})
    .parse()
    .opts<{ stores: number; products: number; settle: number; skipBuild: boolean; env: Record<string, string> }>();

  if (!opts.skipBuild) {
    log("npm run build");
    const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new Error("npm run build failed");
  }
  const startEnv = startScriptEnv();
  log(`npm start's environment: ${JSON.stringify(startEnv)}`);
  const dataDir = tempDir("bench-memory");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const series = opts.stores * opts.products;
  // What `npm start` runs (NODE_ENV=production tsx server.ts): spawnScript passes only PATH and HOME
  // on, so no DATABASE_URL, KAFKA_BROKERS or REDIS_URL: every port is embedded.
  const server = spawnScript("server.ts", {
    ...startEnv,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: dataDir,
    PGLITE_DIR: path.join(dataDir, "pglite"),
    GENERATE_STORES: String(opts.stores),
    GENERATE_PRODUCTS: String(opts.products),
    LOG_LEVEL: "info",
    ...opts.env,
  });
  const pid = server.child.pid ?? 0;
  const rows: [string, string, string][] = [];
  const phase = (name: string) => {
    const s = procStatus(pid);
    log(`${name}: RSS ${mib(s.rss)}, peak ${mib(s.hwm)}, ${s.threads} threads`);
    rows.push([`after ${name}: RSS / peak so far`, `${mib(s.rss)} / ${mib(s.hwm)}`, "report"]);
  };
  try {
    log(`server pid ${pid} on ${url}, data in ${dataDir}; ${series} series`);
    const started = Date.now();
    const progress = setInterval(() => {
      const s = procStatus(pid);
      log(`${((Date.now() - started) / 1000).toFixed(0)} s: RSS ${mib(s.rss)}, peak ${mib(s.hwm)}`);
    }, 15_000);
    try {
      // The server listens once the history is generated and loaded.
      await waitUntilUp(`${url}/healthz`, server, 900_000);
      phase(`history load (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      await trainedAll(url, server, series);
      phase(`train-all (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      for (const page of ["/", "/stores", "/stores/1", "/models"]) await waitUntilUp(`${url}${page}`, server, 60_000);
      log(`the UI answers; settling ${opts.settle} s`);
      await new Promise((r) => setTimeout(r, opts.settle * 1000));
    } finally {
      clearInterval(progress);
    }
    const m = await scrape(url);
    const g = (name: string) => m.get(name) ?? Number.NaN;
    const s = procStatus(pid);
    const smaps = smapsRollup(pid);
    rows.push(
      [
        "RSS after start + train-all (VmRSS, threads included)",
        mib(s.rss),
        `<= ${TARGET_MIB} MiB: ${s.rss <= TARGET_MIB * 2 ** 20 ? "pass" : "FAIL"}`,
      ],
      ["peak RSS since start (VmHWM)", mib(s.hwm), "report"],
      [
        "  anonymous (heaps, WASM memories, malloc) / file-backed (code)",
        `${mib(smaps.anonymous)} / ${mib(smaps.file)}`,
        "report",
      ],
      [
        "  main thread V8 heap used / total",
        `${mib(g("nodejs_heap_size_used_bytes"))} / ${mib(g("nodejs_heap_size_total_bytes"))}`,
        "report",
      ],
      [
        "  main thread external (ArrayBuffers: PGlite's WASM memory, buffers)",
        mib(g("nodejs_external_memory_bytes")),
        "report",
      ],
      ["  OS threads (main, libuv, V8, model threads)", String(s.threads), "report"],
    );
    console.log(`\nbench-memory: embedded mode (PGlite, in-process stream and queue), ${series} series`);
    printTable(rows);
  } catch (err) {
    log(`the server's last output:\n${server.output().slice(-4000)}`);
    throw err;
  } finally {
    if (server.child.exitCode === null) server.child.kill("SIGTERM");
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench-memory: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
