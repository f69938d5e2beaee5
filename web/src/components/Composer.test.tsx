import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { type Client, CombinedError, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";
import { fromValue } from "wonka";
import { Composer } from "./ChannelPane";

type Call = { name: string; variables: Record<string, unknown> };

/** A client whose mutations answer from `respond`, recording each call. */
function mockClient(respond: (call: Call, n: number) => object) {
  const calls: Call[] = [];
  const client = {
    executeMutation: vi.fn(
      (request: {
        query: { definitions: { name?: { value: string } }[] };
        variables: Record<string, unknown>;
      }) => {
        const call = {
          name: request.query.definitions[0]?.name?.value ?? "",
          variables: request.variables,
        };
        calls.push(call);
        return fromValue({
          ...respond(call, calls.length),
          operation: request,
          stale: false,
          hasNext: false,
        });
      },
    ),
  } as unknown as Client;
  return { client, calls };
}

const message = {
  id: "m1",
  body: "hi",
  version: 1,
  seq: 1,
  createdAt: "2026-12-02T10:00:00Z",
  editedAt: null,
  isDeleted: false,
  isReply: false,
  threadId: "m1",
  replyCount: 0,
  author: { id: "u1", displayName: "Alice" },
  reactions: [],
};

describe("Composer", () => {
  it("Shift+Enter adds a line, Enter sends once with a clientMutationId", async () => {
    const { client, calls } = mockClient(() => ({
      data: { postMessage: { clientMutationId: "x", errors: [], message } },
    }));
    const sent = vi.fn();
    render(
      <Provider value={client}>
        <Composer channelId="c1" label="Message #general" onSent={sent} />
      </Provider>,
    );
    const box = screen.getByRole("textbox", { name: "Message #general" });
    await userEvent.type(box, "line one{Shift>}{Enter}{/Shift}line two{Enter}");
    await vi.waitFor(() => expect(sent).toHaveBeenCalledWith(message));
    const posts = calls.filter((c) => c.name === "PostMessage");
    expect(posts).toHaveLength(1);
    const input = posts[0]?.variables.input as { body: string; clientMutationId: string };
    expect(input.body).toBe("line one\nline two");
    expect(input.clientMutationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(box).toHaveValue("");
  });

  it("retries a network failure with the same clientMutationId", async () => {
    const { client, calls } = mockClient((call, n) =>
      call.name === "PostMessage" && n <= 2
        ? { error: new CombinedError({ networkError: new Error("offline") }) }
        : call.name === "PostMessage"
          ? { data: { postMessage: { clientMutationId: "x", errors: [], message } } }
          : { data: { setTyping: { expiresAt: null } } },
    );
    const sent = vi.fn();
    render(
      <Provider value={client}>
        <Composer channelId="c1" label="Message #general" onSent={sent} />
      </Provider>,
    );
    await userEvent.type(screen.getByRole("textbox", { name: "Message #general" }), "x{Enter}");
    await vi.waitFor(() => expect(sent).toHaveBeenCalledTimes(1), { timeout: 5_000 });
    const ids = calls
      .filter((c) => c.name === "PostMessage")
      .map((c) => (c.variables.input as { clientMutationId: string }).clientMutationId);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids).size).toBe(1);
    expect(screen.queryByText("sending…")).toBeNull();
  });
  it("shows a refused send as not sent; Retry sends it again with the same clientMutationId", async () => {
    let posts = 0;
    const { client, calls } = mockClient((call) =>
      call.name === "PostMessage" && ++posts === 1
        ? {
            data: {
              postMessage: {
                clientMutationId: "x",
                errors: [{ code: "RATE_LIMITED", message: "Too many requests" }],
                message: null,
              },
            },
          }
        : call.name === "PostMessage"
          ? { data: { postMessage: { clientMutationId: "x", errors: [], message } } }
          : { data: { setTyping: { expiresAt: null } } },
    );
    const sent = vi.fn();
    render(
      <Provider value={client}>
        <Composer channelId="c1" label="Message #general" onSent={sent} />
      </Provider>,
    );
    await userEvent.type(screen.getByRole("textbox", { name: "Message #general" }), "x{Enter}");
    const pending = await screen.findByRole("list", { name: "Sending" });
    expect(pending).toHaveTextContent("x");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not sent: Too many requests");
    expect(sent).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(sent).toHaveBeenCalledTimes(1));
    const ids = calls
      .filter((c) => c.name === "PostMessage")
      .map((c) => (c.variables.input as { clientMutationId: string }).clientMutationId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
    expect(screen.queryByRole("list", { name: "Sending" })).toBeNull();
  });
});
