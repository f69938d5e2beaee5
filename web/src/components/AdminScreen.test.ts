import { describe, expect, it } from "vitest";
import { auditFilter, mergeEntries } from "./AdminScreen";

const entry = (seq: number) => ({
  id: `a${seq}`,
  seq,
  action: "message.edit",
  targetType: "message",
  targetId: null,
  via: "graphql",
  at: "2026-12-01T10:00:00Z",
  diff: {},
  cursor: `c${seq}`,
  actor: null,
});

describe("auditFilter", () => {
  it("leaves out empty fields and makes the day range inclusive of the last day", () => {
    const f = auditFilter({
      action: " message.edit ",
      actorId: "",
      targetId: "",
      from: "2026-12-01",
      to: "2026-12-02",
    });
    expect(f.action).toBe("message.edit");
    expect(f.actorId).toBeNull();
    expect(f.targetId).toBeNull();
    expect(f.since).toBe(new Date(2026, 11, 1).toISOString());
    // `until` is exclusive: the start of the day after "to".
    expect(f.until).toBe(new Date(2026, 11, 3).toISOString());
  });

  it("passes the actor and target through", () => {
    const f = auditFilter({
      action: "",
      actorId: "VXNlcjox",
      targetId: "TWVzc2FnZTox",
      from: "",
      to: "",
    });
    expect(f).toEqual({
      action: null,
      actorId: "VXNlcjox",
      targetId: "TWVzc2FnZTox",
      since: null,
      until: null,
    });
  });
});

describe("mergeEntries", () => {
  it("lists live and fetched entries newest first, each once", () => {
    const merged = mergeEntries([entry(5), entry(4)], [entry(4), entry(3)]);
    expect(merged.map((e) => e.seq)).toEqual([5, 4, 3]);
  });
});
