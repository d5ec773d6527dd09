/**
 * What docker-compose.yml asks for, read the way Compose reads it: YAML merge keys, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}` and `$$`, then each
 * service reduced to what a container runtime needs (image, command, environment, healthcheck,
 * depends_on, volumes, ports). scripts/container/stack.ts runs the plan with podman;
 * tests/unit/stack-plan.test.ts checks it equals what `docker-compose config` makes of the file.
 */
import { parse } from "yaml";

export type Env = Record<string, string | undefined>;

export class ComposeError extends Error {}

const VARIABLE = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\})/g;

/** One string with Compose's substitutions; a missing `${VAR:?message}` throws with the message. */
export function interpolate(value: string, env: Env): string {
  return value.replace(VARIABLE, (_match, dollar, bare, braced, op, arg) => {
    if (dollar) return "$";
    const name = (bare ?? braced) as string;
    const v = env[name];
    const unset = v === undefined;
    const empty = unset || v === "";
    switch (op) {
      case ":-":
        return empty ? interpolate(arg, env) : (v as string);
      case "-":
        return unset ? interpolate(arg, env) : (v as string);
      case ":?":
      case "?":
        if (op === ":?" ? empty : unset) throw new ComposeError(`${name}: ${arg || "required"}`);
        return v as string;
      default:
        return v ?? "";
    }
  });
}

/** The variables the file requires (`${VAR:?...}` or `${VAR?...}`), in the order they appear. */
export function requiredVariables(text: string): string[] {
  const names = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1] as string);
  return [...new Set(names)];
}

function interpolateAll(node: unknown, env: Env): unknown {
  if (typeof node === "string") return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  }
  return node;
}

export interface Healthcheck {
  /** ["CMD", ...] or ["CMD-SHELL", "..."], as Compose normalises it. */
  test: string[];
  intervalS: number;
  timeoutS: number;
  retries: number;
  startPeriodS: number;
}

export interface Volume {
  /** A named volume (declared under `volumes:`) or an absolute host path. */
  source: string;
  named: boolean;
  target: string;
  readOnly: boolean;
}

export interface Port {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface ServicePlan {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  healthcheck?: Healthcheck;
  dependsOn: Record<string, string>;
  volumes: Volume[];
  ports: Port[];
  restart?: string;
  stopGraceS?: number;
}

export interface ComposePlan {
  services: Record<string, ServicePlan>;
  /** Every service of the file, in an order where each comes after what it depends on. */
  order: string[];
  volumes: string[];
}

/** Compose durations ("5s", "2m", "1m30s", "500ms", "1h") in seconds. */
export function seconds(duration: unknown, fallback: number): number {
  if (duration === undefined || duration === null) return fallback;
  if (typeof duration === "number") return duration;
  const text = String(duration);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  let rest = text;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    rest = rest.replace(m[0], "");
  }
  if (rest !== "") throw new ComposeError(`not a duration: ${text}`);
  return total;
}

/** A string command split as a POSIX shell would (quotes, backslashes), as Compose does. */
function split(command: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < command.length) word = `${word ?? ""}${command[++i]}`;
      else word = `${word ?? ""}${c}`;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < command.length) {
      word = (word ?? "") + command[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new ComposeError(`unclosed quote in: ${command}`);
  if (word !== undefined) out.push(word);
  return out;
}

const commandOf = (v: unknown): string[] | undefined =>
  v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String) : split(String(v));

function environmentOf(v: unknown, env: Env): Record<string, string> {
  const entries: [string, unknown][] = Array.isArray(v)
    ? v.map((item) => {
        const s = String(item);
        const eq = s.indexOf("=");
        return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
      })
    : Object.entries((v as Record<string, unknown>) ?? {});
  const out: Record<string, string> = {};
  for (const [k, value] of entries) {
    // `KEY:` alone takes the value from the environment Compose runs in (left out when unset).
    if (value === null || value === undefined) {
      if (env[k] !== undefined) out[k] = env[k] as string;
    } else {
      out[k] = String(value);
    }
  }
  return out;
}

function healthcheckOf(v: unknown): Healthcheck | undefined {
  if (!v || typeof v !== "object") return undefined;
  const h = v as Record<string, unknown>;
  if (h.disable === true) return undefined;
  let test = h.test;
  if (typeof test === "string") test = ["CMD-SHELL", test];
  if (!Array.isArray(test) || test[0] === "NONE") return undefined;
  // Docker's defaults for what the file leaves out.
  return {
    test: test.map(String),
    intervalS: seconds(h.interval, 30),
    timeoutS: seconds(h.timeout, 30),
    retries: h.retries === undefined ? 3 : Number(h.retries),
    startPeriodS: seconds(h.start_period, 0),
  };
}

function volumesOf(v: unknown, named: Set<string>, root: string): Volume[] {
  return ((v as unknown[]) ?? []).map((item) => {
    let source: string;
    let target: string;
    let readOnly = false;
    if (typeof item === "string") {
      const parts = item.split(":");
      if (parts.length === 1) throw new ComposeError(`anonymous volume ${item}: not supported`);
      [source, target] = parts as [string, string];
      readOnly = parts[2]?.split(",").includes("ro") ?? false;
    } else {
      const o = item as { source?: string; target?: string; read_only?: boolean };
      source = String(o.source);
      target = String(o.target);
      readOnly = o.read_only === true;
    }
    const isPath = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
    if (!isPath && !named.has(source)) throw new ComposeError(`volume ${source} is not declared under volumes:`);
    const resolved = isPath && !source.startsWith("/") ? `${root}/${source.replace(/^\.\/?/, "")}` : source;
    return { source: resolved, named: !isPath, target, readOnly };
  });
}

function portsOf(v: unknown): Port[] {
  return ((v as unknown[]) ?? []).map((item) => {
    const parts = String(item)
      .replace(/\/tcp$/, "")
      .split(":");
    const containerPort = Number(parts.at(-1));
    const hostPort = Number(parts.length > 1 ? parts.at(-2) : parts[0]);
    const hostIp = parts.length > 2 ? (parts[0] as string) : "0.0.0.0";
    if (!Number.isInteger(containerPort) || !Number.isInteger(hostPort)) throw new ComposeError(`port ${item}`);
    return { hostIp, hostPort, containerPort };
  });
}

function dependsOnOf(v: unknown): Record<string, string> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((s) => [String(s), "service_started"]));
  return Object.fromEntries(
    Object.entries((v as Record<string, { condition?: string }>) ?? {}).map(([k, d]) => [
      k,
      d?.condition ?? "service_started",
    ]),
  );
}

/** Each service after what it depends on (a cycle throws). */
function dependencyOrder(services: Record<string, ServicePlan>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new ComposeError(`depends_on cycle: ${[...path, name].join(" -> ")}`);
    const service = services[name];
    if (!service) throw new ComposeError(`${path.at(-1)} depends on ${name}, which is not a service`);
    state.set(name, "visiting");
    for (const dep of Object.keys(service.dependsOn).sort()) visit(dep, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return order;
}

/**
 * The plan for `text` (a compose file) with the variables in `env`; `root` is the file's folder,
 * which relative bind mounts are resolved against.
 */
export function composePlan(text: string, env: Env, root: string): ComposePlan {
  const raw = parse(text, { merge: true }) as Record<string, unknown>;
  const doc = interpolateAll(raw, env) as {
    services?: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const named = new Set(Object.keys(doc.volumes ?? {}));
  const services: Record<string, ServicePlan> = {};
  for (const [name, s] of Object.entries(doc.services ?? {})) {
    if (typeof s.image !== "string") throw new ComposeError(`service ${name} has no image`);
    services[name] = {
      name,
      image: s.image,
      command: commandOf(s.command),
      entrypoint: commandOf(s.entrypoint),
      environment: environmentOf(s.environment, env),
      healthcheck: healthcheckOf(s.healthcheck),
      dependsOn: dependsOnOf(s.depends_on),
      volumes: volumesOf(s.volumes, named, root),
      ports: portsOf(s.ports),
      restart: s.restart === undefined ? undefined : String(s.restart),
      stopGraceS: s.stop_grace_period === undefined ? undefined : seconds(s.stop_grace_period, 10),
    };
  }
  return { services, order: dependencyOrder(services), volumes: [...named] };
}
