import { parse, View } from "vega";
import { compile } from "vega-lite";
import { describe, expect, it } from "vitest";
import { rejectsPerDaySpec } from "../../../app/charts/rejects.js";

const days = ["2024-06-03", "2024-06-04", "2024-06-05"];

describe("rejects per day chart", () => {
  it("is null with no reject in the window", () => {
    expect(rejectsPerDaySpec({ days, counts: [] })).toBeNull();
    expect(rejectsPerDaySpec({ days, counts: [{ day: "2024-05-01", kind: "empty", count: 3 }] })).toBeNull();
  });

  it("stacks the classes per day, every day of the window on the axis, and renders", async () => {
    const spec = rejectsPerDaySpec({
      days,
      counts: [
        { day: "2024-06-03", kind: "not_json", count: 2 },
        { day: "2024-06-05", kind: "empty", count: 1 },
        { day: "2024-06-05", kind: "not_json", count: 4 },
      ],
    })!;
    const enc = (spec as { encoding: Record<string, { scale?: { domain?: unknown } }> }).encoding;
    expect(enc.x!.scale!.domain).toEqual(days);
    expect(enc.color!.scale!.domain).toEqual(["empty", "not_json"]);
    expect(spec.description).toContain("7 in all");
    const view = new View(parse(compile({ ...spec, width: 400 } as typeof spec).spec), { renderer: "none" });
    try {
      const svg = await view.toSVG();
      // One bar per non-zero count.
      expect(svg.match(/<path[^>]*role="graphics-symbol"/g) ?? svg.match(/class="mark-rect/g)).toBeTruthy();
      expect(svg).toContain("06-04");
    } finally {
      view.finalize();
    }
  });
});
