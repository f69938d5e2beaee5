import { useSyncExternalStore } from "react";
import { getConnectionState, subscribeConnection } from "../api/connection";

export function ConnectionBanner() {
  const state = useSyncExternalStore(subscribeConnection, getConnectionState);
  return (
    <div
      role="status"
      aria-live="polite"
      className={state === "disconnected" ? "banner" : "sr-only"}
    >
      {state === "disconnected" ? "Connection lost. Reconnecting…" : ""}
    </div>
  );
}
