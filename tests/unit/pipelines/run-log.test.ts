import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  boundEntry,
  droppedRange,
  isKept,
  LogBuffer,
  levelAtLeast,
  MAX_FIELDS_CHARS,
  MAX_MESSAGE_CHARS,
} from "../../../app/pipelines/run-log.js";

const bound = { head: 3, tail: 5 };

/**
 * What the writer does to the table, in memory: each flush takes line numbers, inserts the lines the
 * run keeps, then deletes the dropped middle.
 */
function simulate(batches: number[]): { stored: number[]; total: number; maxBuffered: number } {
  const table = new Map<number, string>();
  let total = 0;
  let maxBuffered = 0;
  let line = 0;
  const buffer = new LogBuffer(bound);
  for (const n of batches) {
    for (let i = 0; i < n; i++) buffer.push(boundEntry("info", `line ${line++}`));
    const batch = buffer.drain();
    maxBuffered = Math.max(maxBuffered, batch.number(total, total + batch.count).length);
    total += batch.count;
    for (const l of batch.number(total - batch.count, total)) table.set(l.seq, l.message);
    const d = droppedRange(total, bound);
    if (d) for (const seq of [...table.keys()]) if (seq >= d.from && seq < d.to) table.delete(seq);
  }
  return { stored: [...table.keys()].sort((a, b) => a - b), total, maxBuffered };
}

describe("a run's log bound", () => {
  it("keeps the first head and the last tail lines, and says which were dropped", () => {
    expect(isKept(0, 100, bound)).toBe(true);
    expect(isKept(2, 100, bound)).toBe(true);
    expect(isKept(3, 100, bound)).toBe(false);
    expect(isKept(94, 100, bound)).toBe(false);
    expect(isKept(95, 100, bound)).toBe(true);
    expect(droppedRange(100, bound)).toEqual({ from: 3, to: 95 });
    expect(droppedRange(8, bound)).toBeNull();
    expect(droppedRange(9, bound)).toEqual({ from: 3, to: 4 });
  });

  it("whatever the batches, stores exactly the run's first and last lines, numbered in order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), (batches) => {
        const { stored, total, maxBuffered } = simulate(batches);
        const expected = Array.from({ length: total }, (_, i) => i).filter((i) => isKept(i, total, bound));
        expect(stored).toEqual(expected);
        expect(stored.length).toBeLessThanOrEqual(bound.head + bound.tail);
        expect(maxBuffered).toBeLessThanOrEqual(bound.head + bound.tail);
        expect(total).toBe(batches.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it("a noisy batch keeps its first and last lines in memory, counting the rest", () => {
    const buffer = new LogBuffer(bound);
    for (let i = 0; i < 1000; i++) {
      buffer.push(boundEntry("debug", `line ${i}`));
      expect(buffer.held).toBeLessThanOrEqual(bound.head + bound.tail);
    }
    expect(buffer.size).toBe(1000);
    const batch = buffer.drain();
    expect(batch.count).toBe(1000);
    expect(buffer.size).toBe(0);
    const lines = batch.number(0, 1000);
    expect(lines.map((l) => [l.seq, l.message])).toEqual([
      [0, "line 0"],
      [1, "line 1"],
      [2, "line 2"],
      [995, "line 995"],
      [996, "line 996"],
      [997, "line 997"],
      [998, "line 998"],
      [999, "line 999"],
    ]);
  });

  it("cuts a long message and replaces oversized or unserialisable fields", () => {
    const long = boundEntry("warn", "x".repeat(MAX_MESSAGE_CHARS + 50));
    expect(long.message.length).toBeLessThan(MAX_MESSAGE_CHARS + 20);
    expect(long.message.endsWith("(cut)")).toBe(true);
    expect(boundEntry("info", "m", { big: "y".repeat(MAX_FIELDS_CHARS) }).fields).toEqual({
      note: expect.stringContaining("fields cut"),
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(boundEntry("info", "m", cyclic).fields).toEqual({ note: "fields could not be written as JSON" });
    expect(boundEntry("info", "m", { err: new Error("boom"), n: 1n }).fields).toEqual({ err: "boom", n: "1" });
    expect(boundEntry("info", "m", {}).fields).toBeNull();
  });

  it("orders levels: warn and above is warn and error", () => {
    expect(["debug", "info", "warn", "error"].filter((l) => levelAtLeast(l, "warn"))).toEqual(["warn", "error"]);
    expect(levelAtLeast("nonsense", "debug")).toBe(false);
  });
});
