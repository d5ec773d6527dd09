/**
 * The import rules of docs/ARCHITECTURE.md hold: dependency-cruiser checks the real tree with
 * .dependency-cruiser.cjs, and the same rules are shown to fail on a small tree that breaks each one.
 * Routes hold no SQL text either (a text rule: imports cannot show a query string).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/processes.js";

const run = promisify(execFile);
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations dependency-cruiser finds under `cwd` with the project's rules. */
async function violations(cwd: string, targets: string[]): Promise<Violation[]> {
  const args = [DEPCRUISE, ...targets, "--config", CONFIG, "--output-type", "json"];
  const out = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    // Exit code 1 with violations: the report is still on stdout.
    (err: { stdout?: string; stderr?: string }) => {
      if (!err.stdout) throw new Error(`dependency-cruiser failed: ${err.stderr}`);
      return { stdout: err.stdout };
    },
  );
  const report = JSON.parse(out.stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

const SQL_IN_CODE =
  /\.(sql|prisma)\s*\.|\$queryRaw|\b(SELECT\s+[\w*(]|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b/;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Route files that hold SQL or reach the database client, relative to `root`. */
async function routesWithSql(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of await filesUnder(path.join(root, "app/routes"))) {
    if (SQL_IN_CODE.test(await readFile(file, "utf8"))) out.push(path.relative(root, file));
  }
  return out;
}

describe("import rules", () => {
  it("hold on the project's own tree", async () => {
    const found = await violations(ROOT, ["app", "workers", "scripts", "server.ts"]);
    expect(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
    expect(await routesWithSql(ROOT)).toEqual([]);
  });

  describe("fail on a tree that breaks each rule", () => {
    let dir: string;
    // Each file breaks the rule named beside it (one or more).
    const files: Record<string, string> = {
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          module: "ESNext",
          moduleResolution: "Bundler",
          allowImportingTsExtensions: true,
          noEmit: true,
        },
      }),
      "server.ts": "export const entry = 1;\n",
      "app/days.ts": 'import { kinds } from "./model/config.js";\nexport const days = kinds;\n',
      "app/errors.ts": "export class RequestError extends Error {}\n",
      "app/a.ts": 'import { b } from "./b.js";\nexport const a = b;\n',
      "app/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
      "app/jobs/port.ts":
        'import { trainAll } from "../training/train-all.server.js";\nexport const port = trainAll;\n',
      "app/platform/metrics.server.ts":
        'import { versions } from "../registry/versions.server.js";\nexport const metrics = versions;\n',
      "app/platform/db.server.ts": 'import pg from "pg";\nexport const db = pg;\n',
      "app/model/config.ts":
        'import { fit } from "./prophet.server.js";\nimport { readFileSync } from "node:fs";\nexport const kinds = [fit, readFileSync];\n',
      "app/model/prophet.server.ts": 'import { db } from "../platform/db.server.js";\nexport const fit = db;\n',
      "app/registry/versions.server.ts":
        'import { trainAll } from "../training/train-all.server.js";\nexport const versions = trainAll;\n',
      "app/training/train-all.server.ts":
        'import { page } from "../routes/_pages+/page.js";\nimport { list } from "../stores/list.server.js";\nimport { entry } from "../../server.js";\nexport const trainAll = [page, list, entry];\n',
      "app/stores/list.server.ts": "export const list = [];\n",
      "app/stores/format.ts": 'import { readFile } from "node:fs/promises";\nexport const format = readFile;\n',
      "app/routes/_pages+/page.tsx": "export const page = 1;\n",
      "app/routes/_api+/api.things.ts":
        'import { db } from "../../platform/db.server.js";\nimport { queue } from "../../jobs/bullmq.server.js";\nexport const loader = () => db.sql.query("SELECT * FROM things", [queue]);\n',
      "app/jobs/bullmq.server.ts": "export const queue = 1;\n",
      "app/server/openapi.server.ts": 'import { page } from "../routes/_pages+/page.js";\nexport const doc = page;\n',
      "app/components/Card.tsx": 'import { list } from "../stores/list.server.js";\nexport const Card = () => list;\n',
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "storecast-arch-"));
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("names every rule it breaks", async () => {
      const found = await violations(dir, ["app", "server.ts"]);
      const broken = new Set(found.map((v) => v.rule.name));
      expect([...broken].sort()).toEqual(
        [
          "app-imports-no-process-code",
          "domains-import-no-edge",
          "io-modules-end-in-server",
          "model-imports-no-io",
          "no-cycles",
          "platform-imports-no-domain",
          "ports-import-no-domain",
          "pure-model-is-pure",
          "registry-below-pipelines-sales-stores-forecasting-training-monitoring",
          "routes-hold-no-sql",
          "routes-use-ports-not-adapters",
          "server-imports-no-route",
          "training-below-monitoring-sales-stores",
          "ui-imports-no-server-code",
          "vocabulary-is-a-leaf",
        ].sort(),
      );
      expect(await routesWithSql(dir)).toEqual(["app/routes/_api+/api.things.ts"]);
    });
  });
});
