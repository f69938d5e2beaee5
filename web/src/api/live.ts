import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type ExecutionResult, print } from "graphql";
import type { Client as WsClient } from "graphql-ws";

/** Pull the resume cursor out of an event, if it carries one (durable events do). */
function cursorOf(event: unknown): string | null {
  if (event && typeof event === "object") {
    for (const value of Object.values(event)) {
      if (value && typeof value === "object" && "cursor" in value) {
        const cursor = (value as { cursor: unknown }).cursor;
        if (typeof cursor === "string") return cursor;
      }
    }
  }
  return null;
}

export interface Resumable {
  stop(): void;
}

/**
 * Subscribe and keep the `after` variable at the last event's cursor. graphql-ws sends the same
 * payload object again when it reconnects, so after a drop the server resumes exactly after the
 * last event we saw: nothing posted meanwhile is missed and nothing is delivered twice.
 * On `ResyncRequired` the stream ends: `onResync` refetches, and we subscribe again from now.
 */
export function subscribeResumable<R, V extends { after?: string | null }>(
  ws: WsClient,
  document: TypedDocumentNode<R, V>,
  variables: V,
  handlers: { onEvent: (data: R) => void; onResync: () => void },
): Resumable {
  let stopped = false;
  let dispose: (() => void) | null = null;
  const payload = { query: print(document), variables: { ...variables } };

  const start = () => {
    dispose = ws.subscribe<R>(payload, {
      next: (result: ExecutionResult<R>) => {
        if (!result.data) return;
        const event = Object.values(result.data as object)[0] as { __typename?: string };
        if (event?.__typename === "ResyncRequired") {
          payload.variables.after = null;
          handlers.onResync();
          return;
        }
        const cursor = cursorOf(result.data);
        if (cursor) payload.variables.after = cursor;
        handlers.onEvent(result.data);
      },
      error: () => {
        if (!stopped) setTimeout(start, 1_000);
      },
      complete: () => {
        // The server ends the stream after ResyncRequired: subscribe again from now.
        if (!stopped) setTimeout(start, 0);
      },
    });
  };
  start();
  return {
    stop() {
      stopped = true;
      dispose?.();
    },
  };
}
