/**
 * bench:peer's Python: a virtual environment with Python Prophet from PyPI, made with the host's
 * Python 3 on first use and reused after. Every way it can be missing (no Python 3, no venv module,
 * pip failing, PyPI unreachable) is a reason to skip, not an error: the comparison is optional.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/** Pinned so two runs compare the same Prophet. */
export const PROPHET_REQUIREMENT = "prophet==1.5.0";

export type VenvResult = { python: string; created: boolean } | { skip: string };

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });

/** The host Python's version ("3.11.7"), or why it cannot be used. */
function hostPython(python: string): { version: string } | { skip: string } {
  const r = run(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]);
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
    return { skip: missing ? `Python 3 not found (no \`${python}\` on PATH)` : `${python}: ${r.error.message}` };
  }
  const version = r.stdout.trim();
  if (r.status !== 0 || !/^3\.\d+\.\d+$/.test(version)) {
    return { skip: `\`${python}\` is not a working Python 3 (${(r.stderr || version).trim().split("\n").pop()})` };
  }
  const minor = Number(version.split(".")[1]);
  if (minor < 10) return { skip: `Python ${version} is too old for ${PROPHET_REQUIREMENT} (3.10 or later)` };
  return { version };
}

const hasProphet = (venvPython: string) => run(venvPython, ["-c", "import prophet"]).status === 0;

/** Runs a command with its output on our stderr (pip's progress shows on a terminal); resolves its exit code. */
function runVisible(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", 2, 2] });
    child.on("error", () => resolve(-1));
    child.on("close", (code) => resolve(code ?? -1));
  });
}

/**
 * The venv's interpreter with prophet importable: `venvDir` reused when it has it, created with
 * `python -m venv` when missing, prophet installed with pip otherwise.
 */
export async function prophetVenv(python: string, venvDir: string, log: (s: string) => void): Promise<VenvResult> {
  const venvPython = path.join(venvDir, "bin", "python");
  if (existsSync(venvPython) && hasProphet(venvPython)) return { python: venvPython, created: false };

  const host = hostPython(python);
  if ("skip" in host) return host;
  if (!existsSync(venvPython)) {
    log(`creating a virtual environment in ${venvDir} (Python ${host.version})`);
    const venv = run(python, ["-m", "venv", venvDir]);
    if (venv.status !== 0) {
      const why = (venv.stderr || venv.error?.message || "").trim().split("\n").pop();
      return {
        skip: `could not create a virtual environment with \`${python} -m venv\` (${why}; Debian/Ubuntu: install python3-venv)`,
      };
    }
  }
  log(`installing ${PROPHET_REQUIREMENT} from PyPI into ${venvDir} (once; a few minutes)`);
  const code = await runVisible(venvPython, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    PROPHET_REQUIREMENT,
  ]);
  if (code !== 0 || !hasProphet(venvPython)) {
    return {
      skip: `pip could not install ${PROPHET_REQUIREMENT} (exit ${code}; is PyPI reachable? remove ${venvDir} to start over)`,
    };
  }
  return { python: venvPython, created: true };
}
