import type { Sink, Client as WsClient } from "graphql-ws";
import { describe, expect, it } from "vitest";
import { ChannelEventsSub } from "./documents";
import { subscribeResumable } from "./live";

/** A stand-in socket that records each subscribe payload as graphql-ws would send it. */
function fakeWs() {
  const sent: string[] = [];
  let sink: Sink | null = null;
  let payload: unknown = null;
  const ws = {
    subscribe(p: unknown, s: Sink) {
      payload = p;
      sink = s;
      sent.push(JSON.stringify(p));
      return () => undefined;
    },
  } as unknown as WsClient;
  return {
    ws,
    sent,
    emit: (data: unknown) => sink?.next({ data } as never),
    // What a reconnect sends: the same payload object, serialized again.
    reconnect: () => sent.push(JSON.stringify(payload)),
  };
}

describe("subscribeResumable", () => {
  it("resubscribes after a drop from the last event's cursor", () => {
    const fake = fakeWs();
    const got: string[] = [];
    subscribeResumable(
      fake.ws,
      ChannelEventsSub,
      { channelId: "c1", after: "start" },
      {
        onEvent: (d) => got.push(d.channelEvents.__typename),
        onResync: () => got.push("resync"),
      },
    );
    fake.emit({ channelEvents: { __typename: "MessagePosted", cursor: "c-7", message: {} } });
    fake.emit({ channelEvents: { __typename: "TypingStarted", user: {} } });
    fake.reconnect();
    expect(JSON.parse(fake.sent[0] ?? "").variables.after).toBe("start");
    expect(JSON.parse(fake.sent[1] ?? "").variables.after).toBe("c-7");
    expect(got).toEqual(["MessagePosted", "TypingStarted"]);
  });

  it("on ResyncRequired refetches and forgets the cursor", () => {
    const fake = fakeWs();
    const got: string[] = [];
    subscribeResumable(
      fake.ws,
      ChannelEventsSub,
      { channelId: "c1", after: "old" },
      {
        onEvent: () => got.push("event"),
        onResync: () => got.push("resync"),
      },
    );
    fake.emit({ channelEvents: { __typename: "ResyncRequired", reason: "too old" } });
    fake.reconnect();
    expect(got).toEqual(["resync"]);
    expect(JSON.parse(fake.sent[1] ?? "").variables.after).toBeNull();
  });
});
