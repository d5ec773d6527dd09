import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../app/config.server.js";

describe("loadConfig", () => {
  it("runs on embedded defaults with an empty environment", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.PGLITE_DIR).toBe("./data/pglite");
    expect(c.GENERATE_STORES).toBe(1115);
    expect(c.AUTO_LOAD_HISTORY).toBe(true);
  });

  it("parses typed values", () => {
    const c = loadConfig({
      PORT: "8080",
      DATABASE_URL: "postgresql://u:p@db:5432/storecast",
      AUTO_LOAD_HISTORY: "false",
      GENERATE_STORES: "20",
    });
    expect(c).toMatchObject({ PORT: 8080, AUTO_LOAD_HISTORY: false, GENERATE_STORES: 20 });
    expect(c.DATABASE_URL).toBe("postgresql://u:p@db:5432/storecast");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });

  it.each([
    ["PORT", "abc", /PORT: expected an integer from 1 to 65535 \(got "abc"\)/],
    ["PORT", "70000", /PORT/],
    ["PORT", "3.5", /PORT/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL/],
    ["AUTO_LOAD_HISTORY", "maybe", /AUTO_LOAD_HISTORY: expected true or false/],
    ["DATABASE_URL", "mysql://x@y/z", /DATABASE_URL: expected a postgres:\/\//],
    ["DATABASE_URL", "not a url", /DATABASE_URL/],
  ])("rejects %s=%s with one line naming it", (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("never echoes a database password", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://user:secret@host/db" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") }),
    );
  });
});
