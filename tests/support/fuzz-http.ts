/**
 * The fuzz test's HTTP side: sends a generated request exactly as built (node:http, no URL
 * normalisation) and says what is wrong with the answer: a 5xx, an API 4xx that is not JSON naming
 * the field, a stack trace or an absolute path of this machine in any body, or no answer at all.
 */
import { realpathSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FuzzRequest } from "./fuzz-inputs.js";
import { ROOT } from "./processes.js";

export interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
/** More than this is not read (the OpenAPI document is well below). */
const MAX_READ = 4 * 1024 * 1024;

/** Sends `req` to `base`; rejects when no answer comes within `timeoutMs` (a hang is a finding too). */
export function send(base: string, req: FuzzRequest, timeoutMs = 20_000, fresh = false): Promise<FuzzResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    // Explicitly: node:http sends a GET's or DELETE's body unframed unless told.
    if (req.body && req.chunked) headers["transfer-encoding"] = "chunked";
    else if (req.body) headers["content-length"] = String(req.body.length);
    const r = http.request({
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.path,
      headers,
      agent: fresh ? false : agent,
    });
    const timer = setTimeout(() => {
      r.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let answered = false;
    r.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers["content-type"] ?? ""),
          body: Buffer.concat(chunks).toString("utf8"),
        });
      };
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        // An event stream (a job's events) or a huge answer: what arrived is enough to judge.
        if (size > MAX_READ || String(res.headers["content-type"]).startsWith("text/event-stream")) {
          res.destroy();
          done();
        }
      });
      res.on("end", done);
      res.on("error", done);
    });
    r.on("error", (err) => {
      // The server may answer (a 413) and close before the body is sent: that write error is no finding.
      if (answered) return;
      clearTimeout(timer);
      // A kept-alive connection the server closed meanwhile (its idle timeout, or an unread body it
      // dropped with the connection after answering): the request never arrived, so send it again.
      const code = (err as NodeJS.ErrnoException).code;
      if (fresh || !r.reusedSocket || (code !== "ECONNRESET" && code !== "EPIPE")) reject(err);
      else send(base, req, timeoutMs, true).then(resolve, reject);
    });

    if (req.body) r.end(req.body);
    else r.end();
  });
}

/** Absolute paths of this machine that must never reach a client: the code's, its modules', its data's. */
const SECRETS = [
  ROOT,
  realpathSync(path.join(ROOT, "node_modules")),
  "node_modules",
  "file:///",
  path.join(tmpdir(), "storecast-"),
];
/** A V8 stack frame: `at fn (/x/y.js:1:2)`, `at /x/y.js:1:2`, `at async fn (...)`, HTML-escaped or not. */
const STACK_FRAME = /\bat (?:async )?(?:[\w$.<>[\] ]+ \()?(?:\/|[A-Za-z]:\\|node:|file:)[^\s)]*:\d+:\d+/;

export function leakIn(body: string): string | null {
  const found = SECRETS.find((s) => body.includes(s));
  if (found) return `an absolute path (${found})`;
  const frame = STACK_FRAME.exec(body.replaceAll("&nbsp;", " "));
  return frame ? `a stack frame (${frame[0]})` : null;
}

export type Audience = "native" | "seed" | "page";

/** Which error format a path's answers use, as the server decides it (the URL's normalised path). */
export function audienceOf(rawPath: string): Audience {
  const pathname = new URL(`http://fuzz.invalid${rawPath}`).pathname;
  if (/^\/api\/(forecasters|trainers)(\/|$)/.test(pathname)) return "seed";
  return pathname.startsWith("/api/") ? "native" : "page";
}

/** What is wrong with `res` as the answer to `req`; [] when nothing. */
export function problems(req: FuzzRequest, res: FuzzResponse): string[] {
  const out: string[] = [];
  if (res.status >= 500) out.push(`answered ${res.status}`);
  const leak = leakIn(res.body);
  if (leak) out.push(`the body shows ${leak}`);
  const audience = audienceOf(req.path);
  if (audience === "page" || res.status < 400 || res.status >= 500) return out;
  if (!/^application\/json\b/.test(res.contentType)) {
    out.push(`a ${res.status} with content type "${res.contentType}", not application/json`);
    return out;
  }
  if (req.method === "HEAD") return out;
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    out.push(`a ${res.status} whose body is not JSON`);
    return out;
  }
  const why = audience === "seed" ? seedErrorProblem(res.status, json) : nativeErrorProblem(res.status, json);
  if (why) out.push(`a ${res.status} ${why}`);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `{"error": "...", "details": {...}}`; a 400 names the field in `details.field`. */
function nativeErrorProblem(status: number, json: unknown): string | null {
  if (!isObject(json) || typeof json.error !== "string" || json.error === "" || !isObject(json.details)) {
    return 'without {"error", "details"}';
  }
  if (status === 400 && typeof json.details.field !== "string") return "without details.field";
  return null;
}

/** FastAPI's `{"detail": "..."}`, a 422's `{"detail": [{"loc", "msg", "type"}]}`, or the job-status 400. */
function seedErrorProblem(status: number, json: unknown): string | null {
  if (!isObject(json)) return "that is not an object";
  if (status === 400 && json.status === "ERROR" && typeof json.error === "string") return null;
  const { detail } = json;
  if (status === 422) {
    const ok =
      Array.isArray(detail) &&
      detail.length > 0 &&
      detail.every((d) => isObject(d) && Array.isArray(d.loc) && d.loc.length > 0 && typeof d.msg === "string");
    return ok ? null : 'without {"detail": [{"loc", "msg", "type"}]}';
  }
  return typeof detail === "string" && detail !== "" ? null : 'without {"detail": "..."}';
}
