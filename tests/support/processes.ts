import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `storecast-${prefix}-`));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs one of the project's TypeScript scripts as a user would (`node --import tsx FILE`),
 * with exactly the given environment on top of PATH and HOME; killed after `limitMs`.
 */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  limitMs = 60_000,
): Promise<ScriptRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface RunningServer extends SpawnedProcess {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnedProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts a long-running project script (`node --import tsx FILE`) with the given environment.
 * `cwd` (default: the project root) is where it looks for `build/`, `.env` and `./data`.
 */
export function spawnScript(script: string, env: Record<string, string>, opts: { cwd?: string } = {}): SpawnedProcess {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve(ROOT, script)], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * The limits a test server runs without unless its test sets them: the suites fire many requests
 * that change something from one address, and retrain a series again as soon as it finished.
 * tests/integration/rate-limits.test.ts and retrain-cooldown.test.ts turn them on.
 */
export const TEST_SERVER_LIMITS = { RATE_LIMIT_MUTATIONS: "0", RETRAIN_COOLDOWN_S: "0" } as const;

/** Starts `tsx server.ts` (the production build under `cwd`, default the project root) with the given environment. */
export function spawnServer(env: Record<string, string>, opts: { cwd?: string } = {}): SpawnedProcess {
  return spawnScript("server.ts", { ...TEST_SERVER_LIMITS, ...env }, opts);
}

/** Starts the server and waits until /healthz answers (or the process dies). */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 120_000,
  opts: { cwd?: string } = {},
): Promise<RunningServer> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const { child, output, exited } = spawnServer(
    { HOST: "127.0.0.1", LOG_LEVEL: "info", ...env, PORT: String(port) },
    opts,
  );
  const url = `http://127.0.0.1:${port}`;
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (dead) throw new Error(`server exited before it was up:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server not up within ${timeoutMs} ms:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    child,
    output,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
