import type { Client as WsClient } from "graphql-ws";
import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import {
  BrowseQuery,
  CreateChannel,
  JoinChannel,
  SidebarQuery,
  ViewerEventsSub,
} from "../api/documents";
import { subscribeResumable } from "../api/live";
import { channelPath, navigate, onLinkClick } from "../router";

type Counts = Record<string, { unread: number; mentions: number }>;

export function Sidebar({
  ws,
  activeId,
  viewerId,
}: { ws: WsClient; activeId: string | null; viewerId: string | undefined }) {
  const [{ data }, refetch] = useQuery({ query: SidebarQuery });
  const [live, setLive] = useState<Counts>({});
  const [presence, setPresence] = useState<Record<string, string>>({});
  const [browsing, setBrowsing] = useState(false);
  const [creating, setCreating] = useState(false);
  const cursor = data?.eventCursor;

  // Badges follow viewerEvents from the cursor read with the list: nothing in between is lost.
  useEffect(() => {
    if (!cursor) return;
    const sub = subscribeResumable(
      ws,
      ViewerEventsSub,
      { after: cursor },
      {
        onEvent: ({ viewerEvents: e }) => {
          if (e.__typename === "UnreadCountChanged") {
            setLive((c) => ({
              ...c,
              [e.channel.id]: { unread: e.unreadCount, mentions: e.mentionCount },
            }));
          } else if (e.__typename === "PresenceChanged") {
            setPresence((p) => ({ ...p, [e.user.id]: e.presence }));
          } else if (e.__typename === "MembershipChanged") {
            refetch({ requestPolicy: "network-only" });
          }
        },
        onResync: () => refetch({ requestPolicy: "network-only" }),
      },
    );
    return () => sub.stop();
  }, [ws, cursor, refetch]);

  const channels = data?.channels.nodes ?? [];
  return (
    <nav className="sidebar" aria-label="Channels">
      <h2 id="channels-heading">Channels</h2>
      <ul aria-labelledby="channels-heading">
        {channels.map((ch) => {
          const counts = live[ch.id] ?? { unread: ch.unreadCount, mentions: ch.mentionCount };
          const unread = ch.id === activeId ? 0 : counts.unread;
          return (
            <li key={ch.id} className={ch.id === activeId ? "active" : undefined}>
              <a
                href={channelPath(ch.id)}
                onClick={onLinkClick}
                aria-current={ch.id === activeId ? "page" : undefined}
                className={unread > 0 ? "unread" : undefined}
              >
                <span aria-hidden="true">{ch.isPrivate ? "🔒" : "#"}</span>
                {ch.name}
              </a>
              {ch.isArchived && <span className="tag">archived</span>}
              {unread > 0 && (
                <span className="badge" data-testid={`unread-${ch.name}`}>
                  {unread}
                  <span className="sr-only"> unread</span>
                </span>
              )}
              {counts.mentions > 0 && ch.id !== activeId && (
                <span className="badge mention">
                  @{counts.mentions}
                  <span className="sr-only"> mentions</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <h2 id="people-heading">People</h2>
      <ul aria-labelledby="people-heading" className="people">
        {(data?.users.nodes ?? [])
          .filter((u) => u.isActive)
          .map((u) => {
            // The viewer is here; presence signals are not replayed, so their own may predate
            // the subscription.
            const state = (
              u.id === viewerId ? "ONLINE" : (presence[u.id] ?? u.presence)
            ).toLowerCase();
            return (
              <li key={u.id}>
                <span className={`dot ${state}`} aria-hidden="true" />
                {u.displayName}
                <span className="sr-only"> ({state})</span>
              </li>
            );
          })}
      </ul>
      <button type="button" onClick={() => setBrowsing((b) => !b)} aria-expanded={browsing}>
        Browse channels
      </button>
      <button type="button" onClick={() => setCreating((b) => !b)} aria-expanded={creating}>
        Create channel
      </button>
      {browsing && <Browse onJoined={() => setBrowsing(false)} />}
      {creating && <CreateForm onDone={() => setCreating(false)} />}
    </nav>
  );
}

function Browse({ onJoined }: { onJoined: () => void }) {
  const [{ data }] = useQuery({ query: BrowseQuery, requestPolicy: "network-only" });
  const [, join] = useMutation(JoinChannel);
  const [error, setError] = useState<string | null>(null);
  const channels = data?.channels.nodes ?? [];
  return (
    <section aria-label="Browse channels" className="browse">
      {channels.length === 0 && <p>No other channels to join.</p>}
      <ul>
        {channels.map((ch) => (
          <li key={ch.id}>
            <span>#{ch.name}</span> <small>{ch.memberCount} members</small>{" "}
            <button
              type="button"
              aria-label={`Join ${ch.name}`}
              onClick={async () => {
                const r = await join({ input: { channelId: ch.id } });
                const err = r.data?.joinChannel.errors[0];
                if (err || r.error) setError(err?.message ?? "Could not join");
                else {
                  onJoined();
                  navigate(channelPath(ch.id));
                }
              }}
            >
              Join
            </button>
          </li>
        ))}
      </ul>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function CreateForm({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [, create] = useMutation(CreateChannel);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const r = await create({ input: { name, isPrivate } });
    const payload = r.data?.createChannel;
    if (!payload?.channel) {
      setError(payload?.errors[0]?.message ?? "Could not create the channel");
      return;
    }
    onDone();
    navigate(channelPath(payload.channel.id));
  }
  return (
    <form onSubmit={submit} className="create" aria-label="Create channel">
      <label htmlFor="new-channel-name">Channel name</label>
      <input
        id="new-channel-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
      />
      <label>
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />{" "}
        Private
      </label>
      <button type="submit">Create</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
