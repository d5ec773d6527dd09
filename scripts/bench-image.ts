/**
 * Measures the app image (`npm run image:build` first, or --build): its size (whole, the base, the
 * layers above it, node_modules), a cached rebuild's time (and a cold one with --cold), and the time a
 * fresh container takes, on embedded defaults with --stores stores, to /healthz, to /readyz and to
 * every series trained; then a restart's time to /readyz on the same data.
 *
 *   npm run bench:image [-- --stores 1115] [--build] [--cold]
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Command } from "commander";
import { freePort, podman, podmanOk, runApp, waitHttp } from "../tests/container/support/podman.js";
import { signIn } from "../tests/support/auth.js";
import { waitForTrainAll } from "../tests/support/training.js";
import { printTable } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const TARGET_MB = 350;
const log = (s: string) => process.stderr.write(`bench-image: ${s}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const program = new Command()
  .name("bench-image")
  .option("--image <name>", "the image", "storecast:latest")
  .option("--stores <n>", "stores of the generated data set", integerOption(1, 1115), 1115)
  .option("--build", "build the image first (cached layers), timing it", false)
  .option("--cold", "also time a build with no cache (minutes)", false)
  .parse();
const opts = program.opts<{ image: string; stores: number; build: boolean; cold: boolean }>();

/** Runs build-image.sh; its wall time in ms. */
function build(extra: string): number {
  const started = Date.now();
  const r = spawnSync("bash", ["scripts/container/build-image.sh"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, IMAGE: opts.image, BUILD_ARGS: extra },
  });
  if (r.status !== 0) throw new Error(`build-image.sh exited ${r.status}`);
  return Date.now() - started;
}

const rows: [string, string, string][] = [];
if (opts.cold) rows.push(["build, no cache", secs(build("--no-cache")), "report"]);
if (opts.build || opts.cold) rows.push(["build, cached (nothing changed)", secs(build("")), "report"]);

const size = Number(await podmanOk(["image", "inspect", "--format", "{{.Size}}", opts.image]));
// The base is the image the Dockerfile's NODE_IMAGE named: the node image of the Node version inside.
const nodeVersion = (await podmanOk(["image", "inspect", "--format", "{{json .Config.Env}}", opts.image])).match(
  /NODE_VERSION=([\d.]+)/,
)?.[1];
const baseImage = `docker.io/library/node:${nodeVersion ?? "?"}-bookworm-slim`;
const base = Number(await podmanOk(["image", "inspect", "--format", "{{.Size}}", baseImage]));
const nodeModules = Number(
  (await podmanOk(["run", "--rm", "--entrypoint", "du", opts.image, "-sb", "/app/node_modules"])).split(/\s+/)[0],
);
rows.push(["image size", mb(size), `<= ${TARGET_MB} MB on the official slim base`]);
rows.push([`  the base (${baseImage}, made here)`, mb(base), "report"]);
rows.push(["  storecast's layers above it", mb(size - base), "report"]);
rows.push(["  of which /app/node_modules", mb(nodeModules), "report"]);

const suffix = randomBytes(4).toString("hex");
const name = `storecast-bench-image-${suffix}`;
const volume = `${name}-data`;
const password = `bench-${randomBytes(12).toString("hex")}`;
const start = async () =>
  runApp({
    image: opts.image,
    name,
    volume,
    port: await freePort(),
    adminPassword: password,
    env: { GENERATE_STORES: String(opts.stores) },
  });
try {
  await podmanOk(["volume", "create", volume]);
  let t0 = Date.now();
  let url = await start();
  await waitHttp(`${url}/healthz`, 600_000);
  rows.push([`fresh start (${opts.stores} stores) to /healthz`, secs(Date.now() - t0), "report"]);
  await waitHttp(`${url}/readyz`, 600_000);
  rows.push(["  to /readyz", secs(Date.now() - t0), "report"]);
  const cookie = await signIn(url, "admin", password);
  await waitForTrainAll(url, {
    series: opts.stores,
    limitMs: 900_000,
    headers: { cookie },
    onProgress: (line) => log(`train-all ${line}`),
  });
  rows.push(["  to every series trained", secs(Date.now() - t0), "report"]);
  await podmanOk(["stop", "--time", "60", name], { timeoutMs: 90_000 });
  await podmanOk(["rm", name]);
  t0 = Date.now();
  url = await start();
  await waitHttp(`${url}/readyz`, 600_000);
  rows.push(["restart on its data to /readyz", secs(Date.now() - t0), "report"]);
} finally {
  await podman(["rm", "--force", "--time", "5", name]);
  await podman(["volume", "rm", "--force", volume]);
}
printTable(rows);
