/**
 * npm run bench:peer without the comparison itself (minutes, and PyPI): every way Python can be
 * missing skips with exit 0, bad options fail, a ready virtual environment is reused, and the Python
 * side fits and skips folds as storecast does (only where a venv with prophet was already made).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROPHET_REQUIREMENT, prophetVenv } from "../../scripts/python-venv.js";
import { ROOT, runScript, tempDir } from "../support/processes.js";

/** An executable shell script standing in for a Python interpreter. */
function fakePython(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const VERSION_311 = `case "$*" in *version_info*) echo 3.11.7; exit 0;; esac`;

describe("bench:peer's virtual environment (scripts/python-venv.ts)", () => {
  const logs: string[] = [];
  const log = (s: string) => logs.push(s);

  it("skips when there is no Python", async () => {
    const dir = tempDir("peer-nopython");
    const r = await prophetVenv(path.join(dir, "python3"), path.join(dir, "venv"), log);
    expect(r).toEqual({ skip: expect.stringContaining("Python 3 not found") });
  });

  it("skips a Python too old for prophet or not a Python at all", async () => {
    const dir = tempDir("peer-oldpython");
    const old = fakePython(dir, "python3", "echo 3.8.10");
    expect(await prophetVenv(old, path.join(dir, "venv"), log)).toEqual({
      skip: expect.stringContaining("Python 3.8.10 is too old"),
    });
    const broken = fakePython(dir, "python-broken", "echo boom >&2; exit 1");
    expect(await prophetVenv(broken, path.join(dir, "venv"), log)).toEqual({
      skip: expect.stringContaining("is not a working Python 3 (boom)"),
    });
  });

  it("skips when the venv module is missing", async () => {
    const dir = tempDir("peer-novenv");
    const python = fakePython(dir, "python3", `${VERSION_311}\necho "No module named venv" >&2; exit 1`);
    const r = await prophetVenv(python, path.join(dir, "venv"), log);
    expect(r).toEqual({ skip: expect.stringContaining("could not create a virtual environment") });
    expect("skip" in r && r.skip).toContain("No module named venv");
  });

  it("skips when pip cannot install prophet (e.g. PyPI unreachable)", async () => {
    const dir = tempDir("peer-nopip");
    const venv = path.join(dir, "venv");
    // `-m venv DIR` makes DIR/bin/python, an interpreter where pip fails and prophet is not importable.
    const python = fakePython(
      dir,
      "python3",
      `${VERSION_311}\nmkdir -p "$3/bin" && printf '#!/bin/sh\\necho "pip: network unreachable" >&2\\nexit 1\\n' > "$3/bin/python" && chmod +x "$3/bin/python"`,
    );
    const r = await prophetVenv(python, venv, log);
    expect(r).toEqual({ skip: expect.stringContaining(`pip could not install ${PROPHET_REQUIREMENT} (exit 1`) });
    expect(existsSync(path.join(venv, "bin", "python"))).toBe(true);
  });

  it("reuses a virtual environment that has prophet, without asking the host Python", async () => {
    const dir = tempDir("peer-reuse");
    const venvPython = fakePython(path.join(dir, "venv", "bin"), "python", "exit 0");
    const r = await prophetVenv(path.join(dir, "no-such-python"), path.join(dir, "venv"), log);
    expect(r).toEqual({ python: venvPython, created: false });
  });
});

describe("npm run bench:peer (scripts/bench-peer.ts)", () => {
  it("skips with exit 0 and says why when Python 3 is not on PATH", async () => {
    const dir = tempDir("peer-path");
    const run = await runScript("scripts/bench-peer.ts", ["--venv", path.join(dir, "venv")], { PATH: dir });
    expect(run.stdout.trim()).toBe("bench-peer: skipped: Python 3 not found (no `python3` on PATH).");
    expect(run.code).toBe(0);
  });

  it("rejects bad options with exit 1, naming the option", async () => {
    for (const [args, name] of [
      [["--stores", "0"], "--stores"],
      [["--cores", "two"], "--cores"],
      [["--python-optimizer", "adam"], "--python-optimizer"],
    ] as const) {
      const run = await runScript("scripts/bench-peer.ts", [...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(name);
    }
  });
});

// The Python side itself, only where `npm run bench:peer` already made the environment (not in CI).
const venvPython = path.join(ROOT, ".cache", "bench-peer", "venv", "bin", "python");
describe.skipIf(!existsSync(venvPython))("bench:peer's Python side (scripts/bench-peer.py)", () => {
  it("fits, forecasts and skips the folds storecast skips", () => {
    const dir = tempDir("peer-py");
    const ds = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));
    const input = path.join(dir, "in.json");
    writeFileSync(
      input,
      JSON.stringify({
        cores: 1,
        intervalWidth: 0.95,
        minOpenDays: 14,
        series: [
          {
            id: 7,
            ds,
            // Weekly plus some noise: Newton takes thousands of iterations on an exactly periodic series.
            y: ds.map((_, i) => 1000 + 100 * (i % 7) + 10 * ((i * 37) % 11)),
            future: ["2026-03-02", "2026-03-03"],
            folds: [
              { trainEnd: "2026-01-10", testStart: "2026-01-11", testEnd: "2026-01-17" }, // 10 training days
              { trainEnd: "2026-02-15", testStart: "2026-02-16", testEnd: "2026-02-22" },
              { trainEnd: "2026-03-01", testStart: "2026-03-02", testEnd: "2026-03-08" }, // no test day
            ],
          },
        ],
      }),
    );
    const r = spawnSync(venvPython, [path.join(ROOT, "scripts", "bench-peer.py"), input], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      seconds: number;
      results: { id: number; forecast: number[]; folds: { fold: number; actual: number[]; predicted: number[] }[] }[];
    };
    const [s] = out.results;
    expect(s?.id).toBe(7);
    expect(s?.forecast).toHaveLength(2);
    expect(s?.folds.map((f) => f.fold)).toEqual([2]);
    expect(s?.folds[0]?.actual).toHaveLength(7);
    expect(s?.folds[0]?.predicted).toHaveLength(7);
  });
});
