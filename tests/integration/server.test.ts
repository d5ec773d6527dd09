import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, spawnServer, startServer, tempDir } from "../support/processes.js";

// The production server as a user runs it: `tsx server.ts` on the Remix build (CI builds first).
const SMALL_DATA = { GENERATE_STORES: "6", GENERATE_DAYS: "60", GENERATE_SEED: "7" };

function storeRowCount(html: string): number {
  const body = html.split('data-testid="store-rows"')[1]?.split("</tbody>")[0] ?? "";
  return (body.match(/<tr/g) ?? []).length;
}

describe("server on embedded PGlite", () => {
  const dataDir = tempDir("server");
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...SMALL_DATA });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("generates and loads history on first start and lists the stores from the database", async () => {
    const res = await fetch(`${server.url}/stores`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(storeRowCount(html)).toBe(6);
    expect(html).toContain("Sales per day");
    expect(server.output()).toContain("history loaded");
  });

  it("trains every series in the background after the first start, while serving", async () => {
    const models = async () => {
      const html = await (await fetch(server.url)).text();
      return Number(/Models in production<\/dt><dd[^>]*>(\d+)</.exec(html)?.[1] ?? Number.NaN);
    };
    const deadline = Date.now() + 120_000;
    while ((await models()) < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(await models()).toBe(6);
    expect(server.output()).toContain("initial training finished");
  });

  it("answers /healthz and /readyz as JSON", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("ready");
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.migrations?.ok).toBe(true);
  });

  it("filters stores by number and answers an unknown path with a real 404 page", async () => {
    expect(storeRowCount(await (await fetch(`${server.url}/?store=3`)).text())).toBe(1);
    const missing = await fetch(`${server.url}/no/such/page`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Page not found");
  });

  it("finishes a request in flight on SIGTERM, exits 0, and keeps its data for the next start", async () => {
    const inFlight = fetch(`${server.url}/stores`);
    await new Promise((r) => setTimeout(r, 20));
    server.child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(storeRowCount(await res.text())).toBe(6);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("stopped cleanly");

    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...SMALL_DATA });
    expect(server.output()).not.toContain("history loaded");
    expect(server.output()).not.toContain("no trained models yet");
    expect(storeRowCount(await (await fetch(`${server.url}/stores`)).text())).toBe(6);
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
  });
});

describe("server start-up failures", () => {
  it("exits 1 with one line naming a malformed variable", async () => {
    const { output, exited } = spawnServer({ PORT: "not-a-port" });
    expect(await exited).toBe(1);
    expect(output().trim()).toBe(
      'storecast: Invalid environment variable PORT: expected an integer from 1 to 65535 (got "not-a-port")',
    );
  });

  it("exits 1 with a clear line, no stack, when DATABASE_URL is unreachable", async () => {
    const started = Date.now();
    const { output, exited } = spawnServer({
      DATABASE_URL: "postgresql://storecast:secret@127.0.0.1:1/storecast",
      DB_CONNECT_TIMEOUT_MS: "3000",
    });
    expect(await exited).toBe(1);
    const lines = output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^storecast: cannot reach Postgres at 127\.0\.0\.1:1\/storecast: .*ECONNREFUSED/);
    expect(output()).not.toContain("secret");
    expect(output()).not.toMatch(/\n\s+at /);
    // Reported, not asserted tightly: these machines are shared and noisy.
    console.info(`unreachable database reported after ${Date.now() - started} ms`);
  });
});

describe.runIf(process.env.DATABASE_URL)("server on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_server");
    const dataDir = tempDir("server-pg");
    server = await startServer({ DATABASE_URL: scratch.url, DATA_DIR: dataDir, ...SMALL_DATA });
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await scratch?.drop();
  });

  it("migrates, loads history and serves the store list", async () => {
    expect(storeRowCount(await (await fetch(`${server.url}/stores`)).text())).toBe(6);
    expect(await (await fetch(server.url)).text()).toContain("Database: <!-- -->postgres");
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { status: string };
    expect(ready.status).toBe("ready");
  });
});
