/**
 * nginx and Prometheus for the integration tests: located (and installed when missing) by
 * scripts/install-ops-tools.sh, started as foreground child processes on free ports with the
 * project's own configuration files under nginx/ and monitoring/, rendered into a temp directory
 * with the few values a local run must change.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { freePort, ROOT, tempDir } from "./processes.js";

const run = promisify(execFile);

export interface OpsTools {
  nginx: string;
  prometheus: string;
  promtool: string;
}

let tools: Promise<OpsTools> | undefined;

/** The binaries, from scripts/install-ops-tools.sh (which apt-installs them when missing). */
export function opsTools(): Promise<OpsTools> {
  tools ??= run("bash", [path.join(ROOT, "scripts/install-ops-tools.sh")], { cwd: ROOT, timeout: 600_000 }).then(
    ({ stdout }) => {
      const value = (key: string) => {
        const line = stdout.split("\n").find((l) => l.startsWith(`${key}=`));
        if (!line) throw new Error(`scripts/install-ops-tools.sh printed no ${key}=:\n${stdout}`);
        return line.slice(key.length + 1).trim();
      };
      const prometheus = value("PROMETHEUS_BIN");
      return { nginx: value("NGINX_BIN"), prometheus, promtool: path.join(path.dirname(prometheus), "promtool") };
    },
  );
  return tools;
}

export interface RunningProcess {
  url: string;
  dir: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function spawnLogged(
  bin: string,
  args: string[],
  cwd: string,
): Pick<RunningProcess, "child" | "output"> & {
  exited: Promise<number | null>;
} {
  let out = "";
  const child = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.on("error", () => resolve(-1));
  });
  return { child, output: () => out, exited };
}

async function waitReady(
  what: string,
  url: string,
  exited: Promise<number | null>,
  output: () => string,
  limitMs = 60_000,
): Promise<void> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (dead) throw new Error(`${what} exited before it was ready:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${limitMs} ms:\n${output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500 || res.status === 502) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Spawns `bin` in `dir` listening on `port`, waits until `readyPath` answers, and returns it;
 * stop() sends `stopSignal` and waits for the exit.
 */
async function startLogged(
  what: string,
  bin: string,
  args: string[],
  dir: string,
  port: number,
  readyPath: string,
  stopSignal: NodeJS.Signals,
): Promise<RunningProcess> {
  const { child, output, exited } = spawnLogged(bin, args, dir);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(what, `${url}${readyPath}`, exited, output);
  return {
    url,
    dir,
    child,
    output,
    async stop() {
      if (child.exitCode === null) child.kill(stopSignal);
      await exited;
    },
  };
}

/** Replaces `from` by `to` in `text`, which must contain it exactly once (the file's shape is checked). */
export function replaceOnce(text: string, from: string, to: string, file: string): string {
  const n = text.split(from).length - 1;
  if (n !== 1) throw new Error(`${file}: expected "${from}" exactly once, found it ${n} times`);
  return text.replace(from, to);
}

/** nginx/nginx.conf with the compose upstream (app:3000), port (80) and access log replaced. */
export function renderNginxConf(upstream: string, listen: string, accessLog: string): string {
  const file = path.join(ROOT, "nginx/nginx.conf");
  let conf = readFileSync(file, "utf8");
  conf = replaceOnce(conf, "listen 80;", `listen ${listen};`, file);
  conf = replaceOnce(conf, "set $storecast_upstream app:3000;", `set $storecast_upstream ${upstream};`, file);
  conf = replaceOnce(conf, "access_log /var/log/nginx/access.log ", `access_log ${accessLog} `, file);
  return conf;
}

/**
 * nginx with the project's configuration in front of `upstream` (host:port), in the foreground
 * (`daemon off`), its pid file in a temp prefix; `url` is where it listens.
 */
export async function startNginx(upstream: string): Promise<RunningProcess> {
  const { nginx } = await opsTools();
  const dir = tempDir("nginx");
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(conf, renderNginxConf(upstream, `127.0.0.1:${port}`, path.join(dir, "access.log")));
  const args = ["-p", `${dir}/`, "-c", conf, "-g", `daemon off; pid ${dir}/nginx.pid;`];
  // Fails with nginx's own message on a bad configuration.
  await run(nginx, ["-t", ...args.slice(0, 4), "-g", `pid ${dir}/nginx.pid;`]);
  // Stopped by SIGQUIT: graceful (workers finish open requests); nginx's master then exits.
  return startLogged("nginx", nginx, args, dir, port, "/healthz", "SIGQUIT");
}

/** The file Prometheus reads the app's METRICS_TOKEN from, in monitoring/prometheus.yml. */
export const PROMETHEUS_TOKEN_FILE = "/prometheus/metrics-token";

/**
 * monitoring/prometheus.yml for a local run: the storecast job scrapes `target` (host:port) instead
 * of the compose replicas found by DNS, every `interval`, with the token in `tokenFile`, and the
 * rule files by their paths in the project; everything else as in the file.
 */
export function renderPrometheusConfig(target: string, tokenFile: string, interval = "1s"): string {
  const file = path.join(ROOT, "monitoring/prometheus.yml");
  const config = parse(readFileSync(file, "utf8")) as {
    global?: Record<string, unknown>;
    rule_files?: string[];
    scrape_configs?: Record<string, unknown>[];
  };
  // Rule files are named relative to the configuration, which a local run writes elsewhere.
  config.rule_files = config.rule_files?.map((f) => path.resolve(path.dirname(file), f));
  const job = config.scrape_configs?.find((c) => c.job_name === "storecast");
  if (!job?.dns_sd_configs) throw new Error(`${file}: no storecast job with dns_sd_configs`);
  const auth = job.authorization as { credentials_file?: string } | undefined;
  if (auth?.credentials_file !== PROMETHEUS_TOKEN_FILE) {
    throw new Error(`${file}: the storecast job reads no token from ${PROMETHEUS_TOKEN_FILE}`);
  }
  auth.credentials_file = tokenFile;
  delete job.dns_sd_configs;
  job.static_configs = [{ targets: [target] }];
  config.global = {
    ...config.global,
    scrape_interval: interval,
    scrape_timeout: interval,
    evaluation_interval: interval,
  };
  return stringify(config);
}

/**
 * Prometheus scraping `target` every second with the Bearer token `token` (the app's METRICS_TOKEN),
 * its data in a temp directory; `url` is its HTTP API.
 */
export async function startPrometheus(target: string, token: string): Promise<RunningProcess> {
  const { prometheus } = await opsTools();
  const dir = tempDir("prometheus");
  const port = await freePort();
  const config = path.join(dir, "prometheus.yml");
  const tokenFile = path.join(dir, "metrics-token");
  writeFileSync(tokenFile, token, { mode: 0o600 });
  writeFileSync(config, renderPrometheusConfig(target, tokenFile));
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ];
  return startLogged("prometheus", prometheus, args, dir, port, "/-/ready", "SIGTERM");
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query through Prometheus' HTTP API; throws with Prometheus' error on a bad query. */
export async function promQuery(base: string, query: string): Promise<PromSample[]> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: PromSample[] | [number, string] };
  };
  if (body.status !== "success") throw new Error(`${query}: ${body.error ?? res.status}`);
  if (body.data?.resultType === "scalar") return [{ metric: {}, value: body.data.result as [number, string] }];
  return (body.data?.result ?? []) as PromSample[];
}

/** Waits until the app's newest train-all run (the initial training) has SUCCEEDED. */
export async function untilTrained(appUrl: string, limitMs = 150_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await fetch(`${appUrl}/api/pipeline-runs?kind=train-all&limit=1`);
    const runs = ((await res.json()) as { runs?: { status: string }[] }).runs ?? [];
    if (runs[0]?.status === "SUCCEEDED") return;
    if (Date.now() > deadline) throw new Error(`initial training not finished: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
