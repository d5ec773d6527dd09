import { describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../../app/days.js";
import { openDatabase } from "../../../app/platform/db.server.js";
import { storedPayload } from "../../../app/sales/ingest.server.js";
import { messageOf, passesNow, revalidate } from "../../../app/sales/reject-replay.server.js";
import { describeRejectReplay } from "../../support/reject-replay-cases.js";
import { BAD_INPUTS, record } from "../../support/stream-cases.js";

describeRejectReplay("PGlite in memory", async () => {
  const db = await openDatabase({ pgliteDir: "memory://" });
  return { db, dispose: () => db.close() };
});

describe("a stored reject's payload, read back as the message it was", () => {
  it("gives back the bytes of every bad input the consumer stores, text or base64", () => {
    for (const bad of BAD_INPUTS) {
      const bytes = typeof bad.value === "string" ? Buffer.from(bad.value) : bad.value;
      expect(messageOf(storedPayload(bytes))?.equals(bytes), bad.name).toBe(true);
    }
  });

  it("reads the empty payload as a message without a value, and text that merely starts with base64: as text", () => {
    expect(messageOf("")).toBeNull();
    const text = `base64:${Buffer.from('{"store":1}').toString("base64")}`;
    expect(storedPayload(Buffer.from(text))).toBe(text);
    expect(messageOf(text)?.toString()).toBe(text);
  });
});

describe("judging a reject by today's rules", () => {
  const now = Date.now();
  it("passes a valid record, refuses with the consumer's own reason", () => {
    expect(revalidate(JSON.stringify(record()), now).ok).toBe(true);
    expect(revalidate("{x", now)).toMatchObject({ ok: false, class: "not_json" });
    expect(revalidate("", now)).toEqual({ ok: false, reason: "empty message: no value", class: "empty" });
  });

  it("judges by the day given: a record two days ahead passes a day later", () => {
    const ahead = JSON.stringify(record({ date: formatDay(todayDay(now) + 2) }));
    expect(passesNow(ahead, ahead.length, now)).toBe(false);
    expect(passesNow(ahead, ahead.length, now + 86_400_000)).toBe(true);
  });

  it("never says a payload cut short for the page passes", () => {
    const good = JSON.stringify(record());
    expect(passesNow(good, good.length, now)).toBe(true);
    expect(passesNow(good, good.length + 5, now)).toBe(false);
  });
});
