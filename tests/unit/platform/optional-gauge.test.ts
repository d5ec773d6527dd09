import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { optionalGauge, setMetricSources } from "../../../app/platform/metrics.server.js";

// A scrape-time gauge whose one series is absent, not 0, while its value is unknown (ADR 7).
describe("optionalGauge", () => {
  const errors: string[] = [];
  afterEach(() => {
    setMetricSources({ onError: undefined });
    errors.length = 0;
  });

  /** A gauge on a registry of its own, reading `value` (a function, so a test can change it). */
  function gauge(labels?: Record<string, string>) {
    const registry = new Registry();
    const source: { read: () => Promise<number | null> | undefined } = { read: () => undefined };
    optionalGauge({
      name: "test_optional",
      help: "a test gauge",
      labels,
      read: () => source.read(),
      what: "test source",
      registers: [registry],
    });
    return { registry, source };
  }

  for (const [kind, labels, sample] of [
    ["unlabelled", undefined, /^test_optional (\S+)$/m],
    ["with fixed labels", { window: "7d" }, /^test_optional\{window="7d"\} (\S+)$/m],
  ] as const) {
    it(`${kind}: present when known, absent when unknown, absent again after becoming unknown`, async () => {
      const { registry, source } = gauge(labels);
      const scrape = async () => (await registry.metrics()).match(sample)?.[1];

      // No source yet: absent, not a made-up 0; the family is still declared.
      expect(await registry.metrics()).toContain("# TYPE test_optional gauge");
      expect(await scrape()).toBeUndefined();

      source.read = () => Promise.resolve(null);
      expect(await scrape()).toBeUndefined();

      source.read = () => Promise.resolve(7);
      expect(await scrape()).toBe("7");
      source.read = () => Promise.resolve(0);
      expect(await scrape()).toBe("0");

      source.read = () => Promise.resolve(null);
      expect(await scrape()).toBeUndefined();
      expect(await registry.metrics()).not.toMatch(/^test_optional/m);

      source.read = () => Promise.resolve(3);
      expect(await scrape()).toBe("3");
      source.read = () => undefined;
      expect(await scrape()).toBeUndefined();
    });
  }

  it("is absent, and reports the source, when the read fails", async () => {
    setMetricSources({ onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`) });
    const { registry, source } = gauge();
    source.read = () => Promise.resolve(5);
    expect(await registry.metrics()).toMatch(/^test_optional 5$/m);
    source.read = () => Promise.reject(new Error("database away"));
    expect(await registry.metrics()).not.toMatch(/^test_optional /m);
    expect(errors).toEqual(["test source: database away"]);
  });
});
