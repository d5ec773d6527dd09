/** Driving podman from the container tests: commands, healthchecks and HTTP readiness. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podman ARGS`; never throws on a non-zero exit (the code is in the result). */
export async function podman(args: string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await exec("podman", args, {
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

/** `podman ARGS`, failing the test with podman's own words when it fails. */
export async function podmanOk(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout.trim();
}

/** Whether podman can run here and `image` is built; the reason when not. */
export async function missingImage(image: string, buildWith: string): Promise<string | null> {
  if ((await podman(["info"], { timeoutMs: 30_000 })).code !== 0) return "podman cannot run on this machine";
  if ((await podman(["image", "exists", image])).code !== 0) return `no image ${image}: build it with ${buildWith}`;
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the container's own HEALTHCHECK until it passes (podman schedules healthchecks through systemd,
 * absent here, so nothing else runs them). Throws with the container's last log lines on timeout or exit.
 */
export async function waitHealthy(name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const check = await podman(["healthcheck", "run", name], { timeoutMs: 60_000 });
    if (check.code === 0) return;
    const state = await podman(["inspect", "--format", "{{.State.Status}}", name]);
    if (state.stdout.trim() !== "running" || Date.now() > deadline) {
      const logs = await podman(["logs", "--tail", "40", name]);
      throw new Error(
        `${name} is not healthy (${state.stdout.trim() || state.stderr.trim()}; healthcheck: ${check.stdout.trim() || check.stderr.trim()})\n${logs.stdout}${logs.stderr}`,
      );
    }
    await sleep(1_000);
  }
}

/** Polls `url` until it answers `status` (the process may still be loading its history). */
export async function waitHttp(url: string, timeoutMs: number, status = 200): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.status === status) return res;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} in ${timeoutMs} ms (last: ${last})`);
    await sleep(1_000);
  }
}

/**
 * Starts the app image detached as a user runs it: read-only root, its data in `volume`, port 3000
 * published on 127.0.0.1:`port`, an admin (the image refuses to start open), and `env`.
 */
export async function runApp(opts: {
  image: string;
  name: string;
  volume: string;
  port: number;
  adminPassword: string;
  env?: Record<string, string>;
}): Promise<string> {
  const env = Object.entries({ ADMIN_PASSWORD: opts.adminPassword, ...opts.env }).flatMap(([k, v]) => [
    "--env",
    `${k}=${v}`,
  ]);
  await podmanOk([
    "run",
    "--detach",
    "--name",
    opts.name,
    "--read-only",
    "--volume",
    `${opts.volume}:/app/data`,
    "--publish",
    `127.0.0.1:${opts.port}:3000`,
    ...env,
    opts.image,
  ]);
  return `http://127.0.0.1:${opts.port}`;
}

/** A port on 127.0.0.1 nothing listens on now (for `-p 127.0.0.1:PORT:3000`). */
export { freePort } from "../../support/processes.js";
