import { useSyncExternalStore } from "react";

// A tiny path router: /c/<channelId>[?m=<messageId>], /search?q=…, /admin.
const listeners = new Set<() => void>();
window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

export function navigate(to: string): void {
  history.pushState(null, "", to);
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLocation(): URL {
  const href = useSyncExternalStore(subscribe, () => location.href);
  return new URL(href);
}

export function channelPath(id: string, messageId?: string): string {
  const base = `/c/${encodeURIComponent(id)}`;
  return messageId ? `${base}?m=${encodeURIComponent(messageId)}` : base;
}

/** Follow an in-app link without reloading (plain clicks only; modified clicks open a tab). */
export function onLinkClick(event: React.MouseEvent<HTMLAnchorElement>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  event.preventDefault();
  navigate(event.currentTarget.getAttribute("href") ?? "/");
}
