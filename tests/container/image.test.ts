/**
 * The app image as a user runs it (`npm run image:build` first; .ci/run builds it): on embedded
 * defaults with a small data set, a read-only root filesystem and a data volume, as uid 1000.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../support/auth.js";
import { freePort, missingImage, podman, podmanOk, runApp, waitHealthy, waitHttp } from "./support/podman.js";

const IMAGE = process.env.STORECAST_IMAGE ?? "storecast:latest";
const suffix = randomBytes(4).toString("hex");
const NAME = `storecast-image-test-${suffix}`;
const VOLUME = `storecast-image-test-data-${suffix}`;
const ADMIN_PASSWORD = `admin-${randomBytes(12).toString("hex")}`;
const STORES = 6;

const missing = await missingImage(IMAGE, "npm run image:build");
const podmanAbsent = missing === "podman cannot run on this machine";

describe.skipIf(podmanAbsent)(`the image ${IMAGE}`, () => {
  let url = "";

  /** Starts the app container on the data volume, as a user would (read-only root, non-root, one port). */
  const start = (port: number) =>
    runApp({
      image: IMAGE,
      name: NAME,
      volume: VOLUME,
      port,
      adminPassword: ADMIN_PASSWORD,
      env: { GENERATE_STORES: String(STORES), ALLOWED_HOSTS: "127.0.0.1,localhost" },
    });
  const stop = async () => {
    await podmanOk(["stop", "--time", "60", NAME], { timeoutMs: 90_000 });
    return Number(await podmanOk(["inspect", "--format", "{{.State.ExitCode}}", NAME]));
  };

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await podmanOk(["volume", "create", VOLUME]);
    await start(port);
    // History loaded, stream running, models trained: then /readyz answers 200.
    await waitHttp(`${url}/readyz`, 300_000);
  });

  afterAll(async () => {
    await podman(["rm", "--force", "--time", "5", NAME]);
    await podman(["volume", "rm", "--force", VOLUME]);
  });

  it("refuses to start open: listening on every interface with no admin, it exits naming ADMIN_PASSWORD", async () => {
    const r = await podman(["run", "--rm", "--env", `GENERATE_STORES=${STORES}`, IMAGE], { timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/no admin exists: set ADMIN_PASSWORD/);
  });

  it("answers /healthz and /readyz, and its own HEALTHCHECK passes", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    await waitHealthy(NAME, 30_000);
    const healthcheck = await podmanOk(["inspect", "--format", "{{json .Config.Healthcheck}}", NAME]);
    expect(healthcheck).toContain("/healthz");
  });

  it("serves a page after sign-in, and the reference's forecast route answers in the reference's shape", async () => {
    const anonymous = await fetch(`${url}/stores?store=1`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
    const cookie = await signIn(url, "admin", ADMIN_PASSWORD);
    const page = await fetch(`${url}/stores/1?product=product_A`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>storecast: store 1 product_A</title>");

    const res = await fetch(`${url}/api/forecasters/forecast`, {
      method: "POST",
      headers: { cookie, origin: url, "content-type": "application/json" },
      body: JSON.stringify([{ store_id: "1", product_name: "product_A" }]),
    });
    expect(res.status).toBe(200);
    const [answer, ...rest] = (await res.json()) as Array<{ api: unknown; forecast: Array<Record<string, unknown>> }>;
    expect(rest).toEqual([]);
    // The Streamlit app's week: today .. today + 7 days, both ends included.
    expect(answer?.forecast).toHaveLength(8);
    for (const point of answer?.forecast ?? []) {
      expect(Object.keys(point).sort()).toEqual(["lower_ci", "timestamp", "upper_ci", "value"]);
    }
    expect(answer?.api).toMatchObject({ model_name: "prophet-retail-forecaster-store-1-product_A" });
  });

  it("runs as uid 1000, with the root filesystem read-only apart from the data volume", async () => {
    expect(await podmanOk(["exec", NAME, "id", "-u"])).toBe("1000");
    const outside = await podman(["exec", NAME, "touch", "/app/written-by-test"]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/Read-only file system/);
    await podmanOk(["exec", NAME, "touch", "/app/data/written-by-test"]);
    await podmanOk(["exec", NAME, "rm", "/app/data/written-by-test"]);
  });

  it("stops cleanly on SIGTERM (exit 0), and a restart on the same volume finds its data", async () => {
    const cookie = await signIn(url, "admin", ADMIN_PASSWORD);
    const before = await (await fetch(`${url}/api/stores`, { headers: { cookie } })).json();
    const models = await (await fetch(`${url}/api/models/1/product_A/versions`, { headers: { cookie } })).json();
    expect(before).toBeTruthy();

    expect(await stop()).toBe(0);
    const logs = await podman(["logs", "--tail", "20", NAME]);
    expect(logs.stdout + logs.stderr).toMatch(/shut down|stopped/i);
    await podmanOk(["rm", NAME]);

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await start(port);
    await waitHttp(`${url}/readyz`, 300_000);
    const again = await signIn(url, "admin", ADMIN_PASSWORD);
    expect(await (await fetch(`${url}/api/stores`, { headers: { cookie: again } })).json()).toEqual(before);
    const modelsAfter = await (
      await fetch(`${url}/api/models/1/product_A/versions`, { headers: { cookie: again } })
    ).json();
    expect(modelsAfter).toEqual(models);
    // Nothing loaded twice: the second start found the history and the models it had.
    const restartLogs = await podman(["logs", NAME]);
    expect(restartLogs.stdout + restartLogs.stderr).not.toMatch(/loading (the )?history/i);
  });
});
