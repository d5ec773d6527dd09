import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import { type CliRun, describeHistoryLoader, HEADER, NEWEST, row, runCli, TODAY } from "../../support/history-cases.js";
import { tempDir } from "../../support/processes.js";

describe("history loader on PGlite", () => {
  describeHistoryLoader(() => openDatabase({ pgliteDir: "memory://" }));
});

/** A fatal error is one line on stderr, without a stack trace. */
function expectOneLineError(run: CliRun, message: RegExp): void {
  expect(run.code).toBe(1);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^load-history: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe("npm run load-history (scripts/load-history.ts)", () => {
  let dir: string;
  const file = (name: string, lines: string[]) => {
    const f = path.join(dir, name);
    writeFileSync(f, `${lines.join("\n")}\n`);
    return f;
  };
  beforeAll(() => {
    dir = tempDir("history-cli-files");
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 and prints the summary when every row is fine", async () => {
    const csv = file("good.csv", [HEADER, row({ store: 1 }), row({ store: 2 }), row({ store: 1, date: "2015-07-30" })]);
    const run = await runCli(["--csv", csv, "--today", TODAY]);
    expect(run.stderr).not.toMatch(/line \d+:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rows read\s+3$/m);
    expect(run.stdout).toMatch(/rows loaded\s+3$/m);
    expect(run.stdout).toMatch(/rows skipped\s+0/m);
    expect(run.stdout).toMatch(/outside the window\s+0/m);
    expect(run.stdout).toMatch(new RegExp(`date shift .*newest ${NEWEST} became 2024-06-01`));
    expect(run.stdout).toMatch(/date range\s+2024-05-31 \.\. 2024-06-01/);
    expect(run.stdout).toMatch(/stores\s+2/);
    expect(run.stdout).toMatch(/calendar rows\s+0/);
    expect(run.stdout).toMatch(/seconds\s+[\d.]+\s+\([\d,]+ rows read\/s\)/);
    expect(run.stdout).toMatch(/all rows fine/);
  });

  it("exits 2 and lists each bad row as `line N: reason` when some rows were skipped", async () => {
    const csv = file("some-bad.csv", [HEADER, row({ store: 1 }), row({ store: 2, sales: "12a" }), row({ store: 3 })]);
    const run = await runCli(["--csv", csv, "--today", TODAY]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('line 3: Sales: expected a non-negative integer, got "12a"');
    expect(run.stdout).toMatch(/rows loaded\s+2$/m);
    expect(run.stdout).toMatch(/rows skipped\s+1/m);
    expect(run.stdout).toMatch(/loaded with 1 bad row skipped \(exit code 2\)/);
  });

  it("caps the printed bad rows at 50 and says how many more there are", async () => {
    const bad = Array.from({ length: 60 }, (_, i) => row({ store: i + 2, open: 9 }));
    const run = await runCli(["--csv", file("many-bad.csv", [HEADER, row(), ...bad]), "--today", TODAY]);
    expect(run.code).toBe(2);
    expect(run.stderr.match(/^line \d+: Open: /gm)).toHaveLength(50);
    // Bad rows are lines 3..62: the first 50 (3..52) are printed.
    expect(run.stderr).toContain("line 52: Open: ");
    expect(run.stderr).not.toContain("line 53: ");
    expect(run.stderr).toContain("... and 10 more bad rows");
  });

  it("exits 1 with one line for a missing file", async () => {
    expectOneLineError(await runCli(["--csv", path.join(dir, "nope.csv")]), /nope\.csv does not exist/);
  });

  it("exits 1 with one line naming a missing column", async () => {
    const csv = file("no-sales.csv", [
      "Store,Date,Customers,Open,Promo,StateHoliday,SchoolHoliday",
      "1,2015-07-31,1,1,0,0,0",
    ]);
    expectOneLineError(await runCli(["--csv", csv]), /missing required column Sales/);
  });

  it("exits 1 with one line on a configuration error", async () => {
    const csv = file("cfg.csv", [HEADER, row()]);
    expectOneLineError(await runCli(["--csv", csv], { DATABASE_URL: "not-a-url" }), /DATABASE_URL/);
  });

  it("exits 1 with one line when the database is unreachable", async () => {
    const csv = file("unreachable.csv", [HEADER, row()]);
    const run = await runCli(["--csv", csv], {
      DATABASE_URL: "postgresql://x:y@127.0.0.1:1/db",
      DB_CONNECT_TIMEOUT_MS: "500",
    });
    expectOneLineError(run, /127\.0\.0\.1:1/);
  });
});
