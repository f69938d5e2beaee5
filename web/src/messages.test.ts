import { describe, expect, it } from "vitest";
import type { Msg } from "./messages";
import {
  emojiForShortName,
  firstUnread,
  snippetParts,
  upsert,
  withDaySeparators,
} from "./messages";

function msg(seq: number, over: Partial<Msg> = {}): Msg {
  return {
    id: `m${seq}`,
    body: `body ${seq}`,
    version: 1,
    seq,
    createdAt: "2026-12-01T10:00:00Z",
    editedAt: null,
    isDeleted: false,
    isReply: false,
    threadId: `m${seq}`,
    replyCount: 0,
    author: { id: "u1", displayName: "Alice" },
    reactions: [],
    ...over,
  };
}

describe("upsert", () => {
  it("keeps channel order and drops duplicates from a replayed event", () => {
    const list = upsert([msg(2), msg(1)], [msg(3), msg(2)]);
    expect(list.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
  });

  it("never lets an older copy overwrite a newer edit", () => {
    const edited = msg(1, { version: 2, body: "new" });
    expect(upsert([edited], [msg(1)])[0]?.body).toBe("new");
    expect(upsert([msg(1)], [edited])[0]?.body).toBe("new");
  });
});

describe("withDaySeparators", () => {
  it("puts one separator before each new day", () => {
    const now = new Date("2026-12-02T12:00:00");
    const rows = withDaySeparators(
      [
        msg(1, { createdAt: new Date("2026-12-01T09:00:00").toISOString() }),
        msg(2, { createdAt: new Date("2026-12-01T10:00:00").toISOString() }),
        msg(3, { createdAt: new Date("2026-12-02T08:00:00").toISOString() }),
      ],
      now,
    );
    expect(rows.map((r) => (r.kind === "day" ? r.label : r.key))).toEqual([
      "Yesterday",
      "m1",
      "m2",
      "Today",
      "m3",
    ]);
  });
});

describe("snippetParts", () => {
  it("marks the matches and decodes the escaped text without HTML", () => {
    expect(snippetParts("a &lt;b&gt; <mark>zebra</mark> &amp; c")).toEqual([
      { text: "a <b> ", mark: false },
      { text: "zebra", mark: true },
      { text: " & c", mark: false },
    ]);
  });

  it("keeps a would-be tag in the text as text", () => {
    const parts = snippetParts("&lt;img src=x onerror=alert(1)&gt;");
    expect(parts).toEqual([{ text: "<img src=x onerror=alert(1)>", mark: false }]);
  });
});

describe("firstUnread and the New messages divider", () => {
  const mine = { author: { id: "me", displayName: "Me" } };
  it("is before the last unreadCount messages of others, skipping the viewer's own", () => {
    const list = [msg(1), msg(2), msg(3, mine), msg(4), msg(5, mine)];
    expect(firstUnread(list, 2, "me")).toBe("m2");
    expect(firstUnread(list, 1, "me")).toBe("m4");
  });

  it("is absent when nothing is unread and at the oldest loaded when more are unread", () => {
    const list = [msg(1), msg(2)];
    expect(firstUnread(list, 0, "me")).toBeNull();
    expect(firstUnread(list, 7, "me")).toBe("m1");
  });

  it("puts the divider row right before the first unread message", () => {
    const rows = withDaySeparators(
      [msg(1), msg(2), msg(3)],
      new Date("2026-12-01T12:00:00Z"),
      "m2",
    );
    expect(rows.map((r) => r.key)).toEqual(["day-m1", "m1", "new-messages", "m2", "m3"]);
  });
});

describe("emojiForShortName", () => {
  it("maps :short_name: with or without colons, any case", () => {
    expect(emojiForShortName(":tada:")).toBe("🎉");
    expect(emojiForShortName("Thumbsup")).toBe("👍");
    expect(emojiForShortName(" :+1: ")).toBe("👍");
  });

  it("refuses unknown names, including object keys", () => {
    expect(emojiForShortName(":no_such_emoji:")).toBeNull();
    expect(emojiForShortName(":constructor:")).toBeNull();
    expect(emojiForShortName("::")).toBeNull();
  });
});
