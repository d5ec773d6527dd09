import { parse, View } from "vega";
import { compile } from "vega-lite";
import { describe, expect, it } from "vitest";
import { runStepsSpec, stepBars } from "../../../app/charts/run-steps.js";

/** Renders a spec the way the browser does (vega-lite -> vega -> SVG), without a browser. */
async function renderSvg(spec: NonNullable<ReturnType<typeof runStepsSpec>>): Promise<string> {
  const vega = compile({ ...spec, width: 600 } as typeof spec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

describe("run steps Gantt chart", () => {
  const steps = [
    { name: "train", startedAt: "2026-01-01T02:00:01.500Z", ms: 30_000 },
    { name: "load", startedAt: "2026-01-01T02:00:00.000Z", ms: 1_500 },
    { name: "train", startedAt: "2026-01-01T02:10:00.000Z", ms: 2_000 },
  ];

  it("orders bars by start, from start to start + duration, numbering a repeated step", () => {
    expect(stepBars(steps)).toEqual([
      {
        step: "load",
        name: "load",
        start: "2026-01-01T02:00:00.000Z",
        end: "2026-01-01T02:00:01.500Z",
        seconds: 1.5,
        offset: 0,
      },
      {
        step: "train",
        name: "train",
        start: "2026-01-01T02:00:01.500Z",
        end: "2026-01-01T02:00:31.500Z",
        seconds: 30,
        offset: 1.5,
      },
      {
        step: "train (2)",
        name: "train",
        start: "2026-01-01T02:10:00.000Z",
        end: "2026-01-01T02:10:02.000Z",
        seconds: 2,
        offset: 600,
      },
    ]);
  });

  it("skips steps without a readable start or with a negative duration; none left: no chart", () => {
    const bad = [
      { name: "a", startedAt: "not a date", ms: 10 },
      { name: "b", startedAt: "2026-01-01T00:00:00Z", ms: -1 },
      { name: "c", startedAt: "2026-01-01T00:00:00Z", ms: Number.NaN },
    ];
    expect(stepBars(bad)).toEqual([]);
    expect(runStepsSpec(bad)).toBeNull();
    expect(runStepsSpec([])).toBeNull();
  });

  it("draws one bar per step, x from start to end, steps in start order on y", async () => {
    const spec = runStepsSpec(steps)!;
    const s = spec as unknown as {
      mark: { type: string };
      encoding: { x: { field: string }; x2: { field: string }; y: { field: string; sort: string[] } };
      data: { values: unknown[] };
    };
    expect(s.mark.type).toBe("bar");
    expect(s.encoding.x.field).toBe("start");
    expect(s.encoding.x2.field).toBe("end");
    expect(s.encoding.y.sort).toEqual(["load", "train", "train (2)"]);
    expect(s.data.values).toHaveLength(3);
    const svg = await renderSvg(spec);
    // Three bars (paths with the role of marks), and each step's label on the axis.
    expect(svg.match(/aria-roledescription="bar"/g)?.length).toBe(3);
    for (const label of ["load", "train", "train (2)"]) expect(svg).toContain(`>${label}<`);
  });

  it("follows the dark page", () => {
    expect(JSON.stringify(runStepsSpec(steps, { dark: true }))).toContain("#e2e8f0");
  });
});
