import { parse, View } from "vega";
import { compile } from "vega-lite";
import { describe, expect, it } from "vitest";
import { type RunDurationInput, runDurationData, runDurationSpec } from "../../../app/charts/pipelines.js";

const run = (
  id: number,
  kind: string,
  startedAt: string | Date | null,
  durationMs: number | null,
  status = "SUCCEEDED",
) => ({ id, kind, status, startedAt, durationMs }) satisfies RunDurationInput;

/** Renders a spec the way the browser does (vega-lite -> vega -> SVG), without a browser. */
async function renderSvg(spec: NonNullable<ReturnType<typeof runDurationSpec>>): Promise<string> {
  // "container" width needs a DOM element to measure; a fixed width renders the same marks.
  const vega = compile({ ...spec, width: 600 } as typeof spec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

describe("pipeline run durations chart", () => {
  it("keeps finished runs only, oldest first, in seconds", () => {
    const data = runDurationData([
      run(3, "retrain", "2026-01-03T10:00:00.000Z", 1500),
      run(1, "train-all", new Date("2026-01-01T02:00:00Z"), 31_000),
      run(4, "train-all", "2026-01-04T02:00:00Z", null, "RUNNING"),
      run(5, "ingest-daily", null, null, "PENDING"),
      run(2, "ingest-daily", "2026-01-02T00:05:00Z", 250, "FAILED"),
    ]);
    expect(data.unit).toBe("s");
    expect(data.points).toEqual([
      { id: 1, kind: "train-all", status: "SUCCEEDED", started: "2026-01-01T02:00:00.000Z", duration: 31 },
      { id: 2, kind: "ingest-daily", status: "FAILED", started: "2026-01-02T00:05:00.000Z", duration: 0.25 },
      { id: 3, kind: "retrain", status: "SUCCEEDED", started: "2026-01-03T10:00:00.000Z", duration: 1.5 },
    ]);
  });

  it("switches to minutes once a run takes 10 minutes or more", () => {
    const data = runDurationData([
      run(1, "train-all", "2026-01-01T02:00:00Z", 600_000),
      run(2, "retrain", "2026-01-02T02:00:00Z", 90_000),
    ]);
    expect(data.unit).toBe("min");
    expect(data.points.map((p) => p.duration)).toEqual([10, 1.5]);
  });

  it("drops runs with an unreadable start or a negative or non-finite duration", () => {
    const data = runDurationData([
      run(1, "train-all", "not a date", 1000),
      run(2, "train-all", "2026-01-01T00:00:00Z", -5),
      run(3, "train-all", "2026-01-01T00:00:00Z", Number.NaN),
      run(4, "train-all", new Date(Number.NaN), 1000),
    ]);
    expect(data.points).toEqual([]);
    expect(runDurationSpec([run(1, "train-all", null, null, "RUNNING")])).toBeNull();
  });

  it("builds a spec Vega-Lite compiles, with a description, a colour per kind and a shape per status", () => {
    const spec = runDurationSpec([
      run(1, "train-all", "2026-01-01T02:00:00Z", 31_000),
      run(2, "retrain", "2026-01-02T02:00:00Z", 900, "FAILED"),
    ]);
    expect(spec).not.toBeNull();
    const s = spec as unknown as { description: string; encoding: { color: { scale: { domain: string[] } } } };
    expect(s.description).toBe("Pipeline run durations over time: 2 finished runs of retrain, train-all");
    expect(s.encoding.color.scale.domain).toEqual(["retrain", "train-all"]);
    expect(() => compile(spec!)).not.toThrow();
  });

  it("renders one point per finished run and a line per kind, as SVG", async () => {
    const svg = await renderSvg(
      runDurationSpec([
        run(1, "train-all", "2026-01-01T02:00:00Z", 31_000),
        run(2, "train-all", "2026-01-08T02:00:00Z", 29_000),
        run(3, "retrain", "2026-01-03T10:00:00Z", 1500),
        run(4, "retrain", "2026-01-05T10:00:00Z", 900, "FAILED"),
        run(5, "retrain", "2026-01-06T10:00:00Z", null, "RUNNING"),
      ])!,
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Pipeline run durations");
    expect(svg).toContain("Duration (s)");
    // Vega labels each drawn mark for screen readers: one point per finished run, one line per kind.
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(4);
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(2);
    expect(svg).toContain("Kind: retrain; Status: FAILED; Run: 4");
  });

  it("widens the time axis around runs started close together", () => {
    const spec = runDurationSpec([run(1, "train-all", "2026-01-01T02:00:00Z", 1000)]) as unknown as {
      encoding: { x: { scale: { domain: number[] } } };
    };
    const t = Date.parse("2026-01-01T02:00:00Z");
    expect(spec.encoding.x.scale.domain).toEqual([t - 30 * 60_000, t + 30 * 60_000]);
  });

  it("prints times in UTC whatever the viewer's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      // The zone took effect: this instant is 9 PM the day before in New York.
      expect(new Date("2026-01-01T02:00:00Z").getHours()).toBe(21);
      const svg = await renderSvg(runDurationSpec([run(7, "train-all", "2026-01-01T02:00:00Z", 1000)])!);
      const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      // 24-hour UTC labels: 02:00 on the 1st, not 21:00 on the 31st (New York) nor "02 AM".
      expect(labels).toContain("01 Jan 02:00");
      expect(labels.some((l) => /31 Dec|21:00|AM|PM/.test(l ?? ""))).toBe(false);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("uses light text on a dark page", () => {
    const spec = runDurationSpec([run(1, "train-all", "2026-01-01T02:00:00Z", 1000)], { dark: true }) as {
      config: { axis: { labelColor: string } };
    };
    const light = runDurationSpec([run(1, "train-all", "2026-01-01T02:00:00Z", 1000)]) as typeof spec;
    expect(spec.config.axis.labelColor).not.toBe(light.config.axis.labelColor);
  });
});
