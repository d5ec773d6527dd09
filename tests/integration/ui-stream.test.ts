/**
 * The /stream page as a browser without JavaScript gets it, from the production server (run
 * `npm run build` first): embedded (the in-process topic), on a real Kafka (its admin client), and
 * with a broker nobody answers on, where the page still answers 200 and says why it has no figures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningServer, startServer, tempDir } from "../support/processes.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

const DATA = { GENERATE_STORES: "1", GENERATE_DAYS: "40", GENERATE_SEED: "5", AUTO_TRAIN: "false" };
const brokers = process.env.KAFKA_BROKERS;

const text = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, " ");

async function page(server: RunningServer, path = "/stream") {
  const res = await fetch(`${server.url}${path}`, { redirect: "manual" });
  return { status: res.status, html: await res.text() };
}

/** The rows of the table whose body has `testid`, each a list of cell texts. */
function rows(html: string, testid: string): string[][] {
  const start = html.indexOf(`data-testid="${testid}"`);
  if (start < 0) return [];
  const body = html.slice(start, html.indexOf("</tbody>", start));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => text(c[1]!).trim()),
  );
}

describe("stream page, embedded (in-process topic)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const dir = tempDir("ui-stream");
    server = await startServer({ PGLITE_DIR: `${dir}/pglite`, DATA_DIR: dir, ...DATA, STREAM_PRODUCER: "false" });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("shows the topic's three partitions, the ingest group's one member owning them, and a nav link", async () => {
    let html = "";
    await waitFor(
      "the consumer to join",
      async () => {
        html = (await page(server)).html;
        return rows(html, "member-rows").length === 1;
      },
      20_000,
    );
    expect(html).toMatch(/<a[^>]*href="\/stream"[^>]*>Stream<\/a>/);
    expect(text(html)).toContain("sale_rossman_store");
    expect(rows(html, "partition-rows").map((r) => r[0])).toEqual(["0", "1", "2"]);
    expect(rows(html, "member-rows")[0]!.slice(0, 3)).toEqual(["storecast", "in-process", "0, 1, 2"]);
    // The overview links here from its stream figures.
    expect((await page(server, "/")).html).toMatch(/<a[^>]*href="\/stream"/);
  });
});

describe.runIf(brokers)("stream page on Kafka", () => {
  let server: RunningServer;
  const topic = uniqueName("storecast-ui-stream");
  const groupId = uniqueName("ui-stream-group");
  beforeAll(async () => {
    const dir = tempDir("ui-stream-kafka");
    server = await startServer({
      PGLITE_DIR: `${dir}/pglite`,
      DATA_DIR: dir,
      ...DATA,
      KAFKA_BROKERS: brokers as string,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: "2",
      KAFKA_SESSION_TIMEOUT_MS: "6000",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
  });

  it("shows the partitions with watermarks and the ingest consumer as the group's member, from Kafka's admin client", async () => {
    let html = "";
    await waitFor(
      "the consumer to own both partitions",
      async () => {
        html = (await page(server)).html;
        const members = rows(html, "member-rows");
        return members.length === 1 && members[0]![2] === "0, 1";
      },
      60_000,
    );
    expect(text(html)).toContain(topic);
    expect(text(html)).toContain(groupId);
    expect(text(html)).toContain("Stable");
    const partitions = rows(html, "partition-rows");
    expect(partitions.map((r) => r[0])).toEqual(["0", "1"]);
    // Nothing was sent: empty partitions, nothing to lag behind.
    for (const r of partitions) expect(r.slice(2, 5)).toEqual(["0", "none", "0"]);
    expect(rows(html, "member-rows")[0]![0]).toBe("storecast");
  });
});

describe("stream page with a Kafka nobody answers on", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const dir = tempDir("ui-stream-down");
    server = await startServer({
      PGLITE_DIR: `${dir}/pglite`,
      DATA_DIR: dir,
      ...DATA,
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("answers 200 with the error in a message, not an error page, and quickly again from the cache", async () => {
    const first = await page(server);
    expect(first.status).toBe(200);
    expect(first.html).toContain('data-testid="stream-error"');
    expect(text(first.html)).toMatch(
      /The stream's state could not be read\. (Kafka at 127\.0\.0\.1:\d+|Kafka did not answer)/,
    );
    expect(first.html).not.toContain('data-testid="partition-rows"');
    const again = await page(server);
    expect(again.status).toBe(200);
    expect(again.html).toContain('data-testid="stream-error"');
  });
});
