/**
 * npm run k8s:validate (scripts/container/validate-k8s.sh): the shipped docs/kubernetes manifests
 * pass the Kubernetes schemas, and a copy with one mistake fails, naming it. Seconds once the
 * validator is cached (.ci/run installs it in the step before the unit tests); the first run on a
 * machine installs it from PyPI, and where it cannot be installed every test here is skipped.
 * What the schemas cannot see (entry points, user, writable paths) is in deploy-files.test.ts.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Document, parseAllDocuments } from "yaml";
import { ROOT, tempDir } from "../support/processes.js";

const SCRIPT = path.join(ROOT, "scripts/container/validate-k8s.sh");
const K8S_DIR = path.join(ROOT, "docs/kubernetes");

function validate(files: string[], env: Record<string, string> = {}) {
  const r = spawnSync("bash", [SCRIPT, ...files], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 170_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A copy of a shipped manifest with `edit` applied to the document of that kind. */
function badCopy(file: string, kind: string, edit: (doc: Document) => void): string {
  const docs = parseAllDocuments(readFileSync(path.join(K8S_DIR, file), "utf8")) as Document[];
  const doc = docs.find((d) => d.get("kind") === kind);
  if (!doc) throw new Error(`no ${kind} in ${file}`);
  edit(doc);
  const out = path.join(tempDir("k8s-bad"), file);
  writeFileSync(out, docs.map((d) => d.toString()).join("---\n"));
  return out;
}

const CONTAINER = ["spec", "template", "spec", "containers", 0];

const MISTAKES: { name: string; file: string; kind: string; edit: (d: Document) => void; error: RegExp }[] = [
  {
    name: "an unknown field",
    file: "storecast.yaml",
    kind: "Deployment",
    edit: (d) => {
      d.setIn(["spec", "template", "spec", "terminationGracePeriodSecs"], 45);
    },
    error:
      /ERROR \S+storecast\.yaml did not validate for resource deployment\/storecast against version 1\.\d+: spec\.template\.spec: Additional properties are not allowed \('terminationGracePeriodSecs' was unexpected\)/,
  },
  {
    name: "a wrong type (a number where Kubernetes wants a string)",
    file: "storecast.yaml",
    kind: "ConfigMap",
    edit: (d) => {
      d.setIn(["data", "KAFKA_PARTITIONS"], 12);
    },
    error:
      /resource configmap\/storecast-config against version 1\.\d+: data\.KAFKA_PARTITIONS: 12 is not of type 'string'/,
  },
  {
    name: "a missing required field",
    file: "producer.yaml",
    kind: "Job",
    edit: (d) => {
      d.deleteIn([...CONTAINER, "name"]);
    },
    error:
      /resource job\/storecast-history against version 1\.\d+: spec\.template\.spec\.containers\.0: 'name' is a required property/,
  },
  {
    name: "an apiVersion the release does not serve",
    file: "storecast.yaml",
    kind: "PodDisruptionBudget",
    edit: (d) => {
      d.set("apiVersion", "policy/v1beta1");
    },
    error: /WARN \S+ Couldn't find schema for kind PodDisruptionBudget with api version policy\/v1beta1/,
  },
];

describe("npm run k8s:validate (scripts/container/validate-k8s.sh)", () => {
  let shipped: ReturnType<typeof validate>;
  // The first run on a machine installs the validator (about 15 s with PyPI reachable).
  beforeAll(() => {
    shipped = validate([]);
  }, 180_000);
  const skipped = () => shipped.code === 3;

  it("passes the shipped manifests, every document of every file", (ctx) => {
    if (skipped()) ctx.skip();
    expect(shipped.code, shipped.out).toBe(0);
    const files = readdirSync(K8S_DIR).filter((f) => f.endsWith(".yaml"));
    const documents = files.flatMap((f) => parseAllDocuments(readFileSync(path.join(K8S_DIR, f), "utf8")));
    expect(shipped.out).toContain(`kubernetes manifests: ${files.length} files, ${documents.length} resources valid`);
  });

  for (const mistake of MISTAKES) {
    it(`fails a copy with ${mistake.name}, naming it`, (ctx) => {
      if (skipped()) ctx.skip();
      const r = validate([badCopy(mistake.file, mistake.kind, mistake.edit)]);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(mistake.error);
      expect(r.out).toContain("kubernetes manifests: 1 of 1 files INVALID");
    });
  }

  it("checks the other files when one is not YAML at all", (ctx) => {
    if (skipped()) ctx.skip();
    const broken = path.join(tempDir("k8s-broken"), "broken.yaml");
    writeFileSync(broken, "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [\n");
    const r = validate([broken, path.join(K8S_DIR, "producer.yaml")]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`Couldn't parse YAML from file ${broken}`);
    expect(r.out).toContain("kubernetes manifests: 1 of 2 files INVALID");
  });

  it("skips with exit 3 and one line saying why when it cannot install the validator", () => {
    const r = validate([], { PYTHON: "no-such-python3", STORECAST_CACHE: tempDir("k8s-nocache") });
    expect(r.code).toBe(3);
    expect(r.out.trim()).toBe(
      "kubernetes manifests: skipped: no `no-such-python3` on PATH to install kubernetes-validate with",
    );
  });

  it("skips, leaving nothing half-made in the cache, when venv or pip fails", () => {
    const dir = tempDir("k8s-fakepython");
    // A stand-in host Python: `-m venv DIR` fails, or makes DIR/bin/python, where pip fails.
    const fake = (name: string, onVenv: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, `#!/bin/sh\n[ "$2" = venv ] || exit 1\n${onVenv}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const noVenv = fake("python-novenv", 'echo "No module named venv" >&2; exit 1');
    const noPip = fake(
      "python-nopip",
      `mkdir -p "$3/bin" && printf '#!/bin/sh\\necho "network unreachable" >&2\\nexit 1\\n' > "$3/bin/python" && chmod +x "$3/bin/python"`,
    );
    const cache = path.join(dir, "cache");
    const a = validate([], { PYTHON: noVenv, STORECAST_CACHE: cache });
    expect(a.code, a.out).toBe(3);
    expect(a.out).toMatch(/^kubernetes manifests: skipped: `\S+ -m venv` failed \(No module named venv; Debian: /m);
    const b = validate([], { PYTHON: noPip, STORECAST_CACHE: cache });
    expect(b.code, b.out).toBe(3);
    expect(b.out).toContain(
      "kubernetes manifests: skipped: pip could not install kubernetes-validate (network unreachable; is PyPI reachable?)",
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  it("has nothing to render: the manifests are plain YAML, validated as they are applied", () => {
    const files = readdirSync(K8S_DIR);
    expect(files.filter((f) => /^kustomization\.ya?ml$|^Chart\.yaml$/.test(f))).toEqual([]);
    for (const f of files.filter((x) => x.endsWith(".yaml"))) {
      expect(readFileSync(path.join(K8S_DIR, f), "utf8"), f).not.toMatch(/\{\{|\$\{/);
    }
  });
});
