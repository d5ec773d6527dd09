/**
 * Global setup of the browser tests (vitest project "e2e"): one real server process on embedded
 * defaults (the production build, PGlite, in-process queue and stream) with a small generated data
 * set, started once and trained before any test runs; its URL goes to the tests via inject("serverUrl").
 * Run `npm run build` first.
 *
 * The server runs on a copy of build/: a rebuild while the tests run (another terminal, `npm run
 * dev` tooling) replaces the hashed client assets, and the page would load none of its scripts.
 */
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { signIn } from "../../support/auth.js";
import { ROOT, type RunningServer, startServer, tempDir } from "../../support/processes.js";
import { waitForTrainAll } from "../../support/training.js";
import { CHROMIUM_PATH, E2E_ADMIN, E2E_STORES } from "./browser.js";

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
    /** The admin's session cookie (`name=value`): the pages are tested signed in. */
    sessionCookie: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  if (!existsSync(path.join(ROOT, "build/server/index.js"))) {
    throw new Error("no production build: run `npm run build` before the browser tests");
  }
  const dataDir = tempDir("e2e");
  // Inside the project, so the copied server build still finds node_modules.
  const serverDir = path.join(ROOT, ".tmp", `e2e-server-${process.pid}`);
  mkdirSync(serverDir, { recursive: true });
  cpSync(path.join(ROOT, "build"), path.join(serverDir, "build"), { recursive: true });
  let server: RunningServer | undefined;
  let cookie = "";
  const cleanup = async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(serverDir, { recursive: true, force: true });
  };
  try {
    server = await startServer(
      {
        PGLITE_DIR: `${dataDir}/pglite`,
        DATA_DIR: dataDir,
        GENERATE_STORES: String(E2E_STORES),
        GENERATE_DAYS: "90",
        GENERATE_SEED: "5",
        // The producer would write today's rows as the tests run; the pages are what is tested here.
        STREAM_PRODUCER: "false",
        // Registered (the /schedules page lists them) but on a day that never comes while tests run.
        SCHEDULES: "true",
        TRAIN_CRON: "0 2 29 2 *",
        INGEST_CRON: "5 0 29 2 *",
        RETENTION_CRON: "30 3 29 2 *",
        DRIFT_CRON: "45 0 29 2 *",
        ANOMALY_CRON: "0 4 29 2 *",
        LOG_LEVEL: "warn",
        // Signed in, as in any deployment; tests/e2e/sign-in.test.ts signs in through the form.
        AUTH: "on",
        ADMIN_USER: E2E_ADMIN.username,
        ADMIN_PASSWORD: E2E_ADMIN.password,
      },
      180_000,
      { cwd: serverDir },
    );
    cookie = await signIn(server.url, E2E_ADMIN.username, E2E_ADMIN.password);
    await assertAssetsServed(server.url, cookie);
    await waitForTrainAll(server.url, { series: E2E_STORES, limitMs: 180_000, headers: { cookie } });
  } catch (err) {
    await server?.stop("SIGKILL");
    await cleanup();
    throw err;
  }
  project.provide("serverUrl", server.url);
  project.provide("sessionCookie", cookie);
  const running = server;
  return async () => {
    await running.stop("SIGTERM");
    await cleanup();
  };
}

/** Every script and stylesheet the home page names is served: else no test could pass, say why once. */
async function assertAssetsServed(url: string, cookie: string): Promise<void> {
  const html = await (await fetch(url, { headers: { cookie } })).text();
  const assets = [...new Set(html.match(/\/assets\/[\w.-]+\.(?:js|css)/g) ?? [])];
  if (assets.length === 0) throw new Error("the home page names no /assets/ script: is the build complete?");
  for (const asset of assets) {
    const res = await fetch(`${url}${asset}`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${asset}: HTTP ${res.status}: the build changed while it was copied; run again`);
  }
}
