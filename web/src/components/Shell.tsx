import type { Client as WsClient } from "graphql-ws";
import { type FormEvent, useState } from "react";
import { useQuery } from "urql";
import { ViewerQuery } from "../api/documents";
import { logout } from "../auth/api";
import { navigate, onLinkClick, useLocation } from "../router";
import { AdminScreen } from "./AdminScreen";
import { ChannelPane } from "./ChannelPane";
import { ConnectionBanner } from "./ConnectionBanner";
import { SearchScreen } from "./SearchScreen";
import { Sidebar } from "./Sidebar";

export function Shell({ ws }: { ws: WsClient }) {
  const [{ data }] = useQuery({ query: ViewerQuery });
  const url = useLocation();
  const viewer = data?.viewer;
  const [q, setQ] = useState(url.pathname === "/search" ? (url.searchParams.get("q") ?? "") : "");
  const channelId = url.pathname.startsWith("/c/")
    ? decodeURIComponent(url.pathname.slice(3))
    : null;

  function search(event: FormEvent) {
    event.preventDefault();
    if (q.trim()) navigate(`/search?q=${encodeURIComponent(q.trim())}`);
  }

  return (
    <div className="shell">
      <header className="topbar">
        <a href="/" onClick={onLinkClick} className="brand">
          workchat
        </a>
        <form role="search" onSubmit={search}>
          <label htmlFor="search-box" className="sr-only">
            Search messages
          </label>
          <input
            id="search-box"
            type="search"
            placeholder="Search (from:, in:, has:…)"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </form>
        {viewer?.role === "ADMIN" && (
          <a href="/admin" onClick={onLinkClick}>
            Admin
          </a>
        )}
        {/* A full page load in this tab: GraphiQL is its own page and reads the tab's session token. */}
        <a href="/graphql">GraphiQL</a>
        <span className="me">{viewer?.displayName}</span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <ConnectionBanner />
      <Sidebar ws={ws} activeId={channelId} viewerId={viewer?.id} />
      {url.pathname === "/search" ? (
        <SearchScreen query={url.searchParams.get("q") ?? ""} />
      ) : url.pathname === "/admin" ? (
        <AdminScreen ws={ws} />
      ) : channelId && viewer ? (
        <ChannelPane
          key={channelId}
          ws={ws}
          channelId={channelId}
          viewerId={viewer.id}
          jumpTo={url.searchParams.get("m")}
        />
      ) : (
        <main className="empty">
          <h1>Welcome{viewer ? `, ${viewer.displayName}` : ""}</h1>
          <p>Pick a channel on the left, or browse and join one.</p>
        </main>
      )}
    </div>
  );
}
