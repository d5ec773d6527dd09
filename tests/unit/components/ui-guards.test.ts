import { describe, expect, it } from "vitest";
import { csrfToken } from "../../../app/auth/csrf.server.js";
import { currentSnapshot, type JobSnapshot } from "../../../app/components/job-events.js";
import { jobOrNull, readForm } from "../../../app/routes/_pages+/forms.server.js";

const KEY = "k".repeat(40);
const session = { signingKey: KEY, sessionId: "s1" };

const snap = (id: string, status: JobSnapshot["status"], done: number): JobSnapshot => ({
  id,
  status,
  progress: { done, total: 10 },
  error: null,
});

describe("the live job shown on a page", () => {
  it("prefers the stream while it lives, and the polled loader once the stream is lost", () => {
    const streamed = snap("j1", "RUNNING", 5);
    const polled = snap("j1", "SUCCEEDED", 10);
    expect(currentSnapshot("j1", streamed, polled, false)).toBe(streamed);
    // A dropped stream must not freeze the page at its last event.
    expect(currentSnapshot("j1", streamed, polled, true)).toBe(polled);
    expect(currentSnapshot("j1", streamed, null, true)).toBe(streamed);
    // An event of another job never shows.
    expect(currentSnapshot("j2", streamed, null, false)).toBeNull();
    expect(currentSnapshot("j1", null, polled, false)).toBe(polled);
  });
});

describe("page guards", () => {
  const post = (body: string) =>
    new Request("http://x/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });

  it("reads a posted form, and gives null for a body that is not one", async () => {
    const form = await readForm(post(`intent=train-all&_csrf=${csrfToken(KEY, "s1")}`), session);
    expect(form?.get("intent")).toBe("train-all");
    const json = new Request("http://x/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await readForm(json, session)).toBeNull();
  });

  it("refuses a form without this session's CSRF token with 403", async () => {
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err: { init?: { status?: number } }) => err.init?.status,
      );
    expect(await status(readForm(post("intent=train-all"), session))).toBe(403);
    // Another session's token, and a token with no signing key at all, are refused too.
    expect(await status(readForm(post(`_csrf=${csrfToken(KEY, "s2")}`), session))).toBe(403);
    expect(await status(readForm(post(`_csrf=${csrfToken(KEY, "s1")}`), { sessionId: "s1" }))).toBe(403);
    expect(await status(readForm(post(`_csrf=${csrfToken(KEY, "s1")}`), session))).toBe(200);
  });

  it("shows a page without its job when the queue is unreachable", async () => {
    const errors: unknown[] = [];
    const log = { warn: (...args: unknown[]) => errors.push(args) };
    expect(
      await jobOrNull(log, () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")), "job"),
    ).toBeNull();
    expect(errors).toHaveLength(1);
    expect(await jobOrNull(log, () => Promise.resolve({ id: "j" }), "job")).toEqual({ id: "j" });
  });
});
