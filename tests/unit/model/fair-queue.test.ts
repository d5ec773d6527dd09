import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FairQueue } from "../../../app/model/fair-queue.js";
import { chunkByCost, chunkTarget, MAX_CHUNK_COST } from "../../../app/model/pool.server.js";

const drain = <T>(q: FairQueue<T>): T[] => {
  const out: T[] = [];
  for (let v = q.shift(); v !== undefined; v = q.shift()) out.push(v);
  return out;
};

describe("the model threads' fair queue", () => {
  it("serves one client in order", () => {
    const q = new FairQueue<number>();
    for (let i = 0; i < 5; i++) q.push("a", 10, i);
    expect(q.size).toBe(5);
    expect(drain(q)).toEqual([0, 1, 2, 3, 4]);
    expect(q.size).toBe(0);
  });

  it("puts another client's small task ahead of a flood queued before it", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 100; i++) q.push("attacker", 1024, `a${i}`);
    q.push("user", 8, "u0");
    // The attacker's first chunk had the queue to itself; the user's task is next.
    expect(q.shift()).toBe("a0");
    expect(q.shift()).toBe("u0");
    expect(q.sizeOf("attacker")).toBe(99);
  });

  it("shares by cost: a client of small tasks runs many for each large one of another", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 10; i++) q.push("big", 1000, "big");
    for (let i = 0; i < 1000; i++) q.push("small", 10, "small");
    const order = drain(q);
    // Between two large tasks, about 100 small ones (1000 / 10).
    const firstBigs = order.map((v, i) => (v === "big" ? i : -1)).filter((i) => i >= 0);
    const gaps = firstBigs.slice(1).map((at, i) => at - firstBigs[i]! - 1);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(99);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(101);
  });

  it("alternates between clients of equal tasks", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 3; i++) q.push("a", 5, "a");
    for (let i = 0; i < 3; i++) q.push("b", 5, "b");
    expect(drain(q)).toEqual(["a", "b", "a", "b", "a", "b"]);
  });

  it("gives an idle client no credit: coming back, it shares from now on", () => {
    const q = new FairQueue<string>();
    q.push("early", 1, "e0");
    expect(q.shift()).toBe("e0");
    for (let i = 0; i < 50; i++) q.push("busy", 10, "busy");
    for (let i = 0; i < 10; i++) expect(q.shift()).toBe("busy");
    // "early" used almost nothing, long ago: it does not get 50 tasks in a row now.
    for (let i = 0; i < 5; i++) q.push("early", 10, "early");
    expect(drain(q).slice(0, 4)).toEqual(["early", "busy", "early", "busy"]);
  });

  it("removes a waiting task, once; a task that left cannot be removed", () => {
    const q = new FairQueue<string>();
    const a = q.push("c", 1, "a");
    const b = q.push("c", 1, "b");
    expect(q.remove(b)).toBe(true);
    expect(q.remove(b)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.shift()).toBe("a");
    expect(q.remove(a)).toBe(false);
    expect(q.shift()).toBeUndefined();
  });

  it("loses and repeats nothing, whatever is pushed and removed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 1, max: 2000 }), fc.boolean()), {
          maxLength: 200,
        }),
        (ops) => {
          const q = new FairQueue<number>();
          const kept = new Set<number>();
          ops.forEach(([client, cost, removed], i) => {
            const ticket = q.push(client, cost, i);
            if (removed) q.remove(ticket);
            else kept.add(i);
          });
          const out = drain(q);
          expect(new Set(out)).toEqual(kept);
          expect(out).toHaveLength(kept.size);
          // Each client's tasks keep their order.
          for (const c of ["a", "b", "c"]) {
            const mine = out.filter((i) => ops[i]![0] === c);
            expect(mine).toEqual([...mine].sort((x, y) => x - y));
          }
        },
      ),
    );
  });
});

describe("predictMany's chunks", () => {
  it("are bounded in cost so that no chunk holds a thread for long", () => {
    expect(chunkTarget(100_000, 2)).toBe(MAX_CHUNK_COST);
    expect(chunkTarget(80, 2)).toBe(256);
    const items = Array.from({ length: 12_500 }, (_, i) => i);
    const chunks = chunkByCost(
      items,
      items.map(() => 8),
      MAX_CHUNK_COST,
    );
    expect(chunks.flatMap((c) => c.items)).toEqual(items);
    for (const c of chunks) expect(c.cost).toBeLessThanOrEqual(MAX_CHUNK_COST);
    // Far-reaching items (each costing a chunk's worth) go one a chunk.
    expect(chunkByCost([1, 2, 3], [600, 10, 10], MAX_CHUNK_COST).map((c) => c.items)).toEqual([[1], [2, 3]]);
  });

  it("keep every item, in order, one item a chunk at least", () => {
    const items = ["a", "b", "c", "d", "e"];
    const chunks = chunkByCost(items, [365, 1, 1, 700, 3], 100);
    expect(chunks.flatMap((c) => c.items)).toEqual(items);
    expect(chunks.map((c) => c.cost)).toEqual([365, 2, 700, 3]);
  });
});
