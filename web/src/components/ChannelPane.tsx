import { useVirtualizer } from "@tanstack/react-virtual";
import type { Client as WsClient } from "graphql-ws";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useClient, useMutation } from "urql";
import {
  ChannelEventsSub,
  ChannelQuery,
  LeaveChannel,
  MarkRead,
  PostMessage,
  SetTyping,
} from "../api/documents";
import { subscribeResumable } from "../api/live";
import { type Msg, type Pending, firstUnread, upsert, withDaySeparators } from "../messages";
import { navigate } from "../router";
import { MessageItem } from "./MessageItem";
import { ThreadPane } from "./ThreadPane";

interface Props {
  ws: WsClient;
  channelId: string;
  viewerId: string;
  jumpTo: string | null;
}

type Typer = { name: string; until: number; threadId: string | null };

export function ChannelPane({ ws, channelId, viewerId, jumpTo }: Props) {
  const client = useClient();
  const [channel, setChannel] = useState<{
    name: string;
    isArchived: boolean;
    isSystem?: boolean;
    viewerIsMember?: boolean;
  } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [, leave] = useMutation(LeaveChannel);
  const [missing, setMissing] = useState(false);
  const [messages, setMessages] = useState<Msg[]>([]);
  const [older, setOlder] = useState<{ has: boolean; cursor: string | null }>({
    has: false,
    cursor: null,
  });
  const [cursor, setCursor] = useState<string | null>(null);
  const [replies, setReplies] = useState<Msg[]>([]);
  const [thread, setThread] = useState<string | null>(null);
  const [typers, setTypers] = useState<Record<string, Typer>>({});
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const loadingOlder = useRef(false);
  // Distance from the bottom to restore once an older page is rendered above the reader.
  const restoreFromBottom = useRef<number | null>(null);
  const jumpedTo = useRef<string | null>(null);
  // The message whose thread was just closed: focus goes back to its thread button.
  const returnFocusTo = useRef<string | null>(null);
  const [, markRead] = useMutation(MarkRead);
  // Where "New messages" starts: fixed when the channel opens, so it stays while reading.
  const [newFrom, setNewFrom] = useState<string | null>(null);
  const opened = useRef(false);
  const rows = withDaySeparators(messages, undefined, newFrom);
  // Only the rows near the viewport are in the DOM: a 10,000-message channel stays smooth.
  // Heights are measured as rows render (messages differ in length, reactions, edits).
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === "day" ? 36 : 76),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
  });

  const load = useCallback(async () => {
    const r = await client
      .query(ChannelQuery, { id: channelId }, { requestPolicy: "network-only" })
      .toPromise();
    const ch = r.data?.channel;
    if (!r.data || !ch) {
      setMissing(Boolean(r.data));
      return;
    }
    setChannel({
      name: ch.name,
      isArchived: ch.isArchived,
      isSystem: ch.isSystem,
      viewerIsMember: ch.viewerIsMember,
    });
    const page = ch.messages.edges.map((e) => e.node);
    if (!opened.current) {
      opened.current = true;
      setNewFrom(firstUnread(page, ch.unreadCount, viewerId));
    }
    setMessages((list) => upsert(list, page));
    setOlder({
      has: ch.messages.pageInfo.hasPreviousPage,
      cursor: ch.messages.pageInfo.startCursor ?? null,
    });
    setCursor(r.data.eventCursor);
  }, [client, channelId, viewerId]);

  useEffect(() => {
    void load();
  }, [load]);

  // Live events from the cursor read with the history.
  useEffect(() => {
    if (!cursor) return;
    const sub = subscribeResumable(
      ws,
      ChannelEventsSub,
      { channelId, after: cursor },
      {
        onEvent: ({ channelEvents: e }) => {
          switch (e.__typename) {
            case "MessagePosted":
            case "MessageEdited":
            case "MessageDeleted":
            case "ReactionAdded":
            case "ReactionRemoved": {
              const m = e.message;
              if (m.isReply) {
                setReplies((list) => upsert(list, [m]));
                if (e.__typename === "MessagePosted") {
                  setMessages((list) =>
                    list.map((root) =>
                      root.id === m.threadId ? { ...root, replyCount: root.replyCount + 1 } : root,
                    ),
                  );
                }
              } else setMessages((list) => upsert(list, [m]));
              if (e.__typename === "MessagePosted") {
                setTypers((t) => {
                  const { [m.author.id]: _gone, ...rest } = t;
                  return rest;
                });
              }
              break;
            }
            case "ChannelUpdated":
            case "ChannelArchived":
              setChannel((c) => ({ ...c, name: e.channel.name, isArchived: e.channel.isArchived }));
              break;
            case "TypingStarted":
              if (e.user.id !== viewerId) {
                setTypers((t) => ({
                  ...t,
                  [e.user.id]: {
                    name: e.user.displayName,
                    until: Date.parse(e.expiresAt),
                    threadId: e.threadId ?? null,
                  },
                }));
              }
              break;
            default:
              break;
          }
        },
        onResync: () => void load(),
      },
    );
    return () => sub.stop();
  }, [ws, channelId, cursor, viewerId, load]);

  // Expire typing indicators.
  useEffect(() => {
    if (Object.keys(typers).length === 0) return;
    const t = setInterval(() => {
      const now = Date.now();
      setTypers((all) => Object.fromEntries(Object.entries(all).filter(([, v]) => v.until > now)));
    }, 500);
    return () => clearInterval(t);
  }, [typers]);

  // Keep the newest message in view while the reader is at the bottom; after an older page,
  // keep the reader's place (the list grew above them).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (restoreFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - restoreFromBottom.current;
      restoreFromBottom.current = null;
    } else if (stickToBottom.current && !jumpTo) el.scrollTop = el.scrollHeight;
  });

  // Mark read when the newest message is seen.
  const newest = messages[messages.length - 1];
  useEffect(() => {
    if (newest && stickToBottom.current && document.visibilityState === "visible") {
      void markRead({ input: { channelId, upToMessageId: newest.id } });
    }
  }, [newest, channelId, markRead]);

  // After the thread pane closes, focus returns to the message that opened it (scrolled back
  // into the window first if the list moved meanwhile).
  useEffect(() => {
    const id = returnFocusTo.current;
    if (!id || thread) return;
    const el = document.getElementById(`msg-${id}`);
    if (el) {
      returnFocusTo.current = null;
      const button = el.querySelector<HTMLElement>(".thread-button");
      (button ?? el).focus();
      return;
    }
    const index = rows.findIndex((r) => r.kind === "msg" && r.msg.id === id);
    if (index < 0) returnFocusTo.current = null;
    else virtualizer.scrollToIndex(index, { align: "center" });
  });

  // Jump to a search result: page back until it is loaded, scroll its row into view, focus it.
  useEffect(() => {
    if (!jumpTo || messages.length === 0) return;
    const index = rows.findIndex((r) => r.kind === "msg" && r.msg.id === jumpTo);
    if (index < 0) {
      if (older.has) void loadOlder();
      return;
    }
    stickToBottom.current = false;
    if (jumpedTo.current !== jumpTo) {
      jumpedTo.current = jumpTo;
      virtualizer.scrollToIndex(index, { align: "center" });
    }
    const el = document.getElementById(`msg-${jumpTo}`);
    if (el && !el.contains(document.activeElement)) el.focus({ preventScroll: true });
  });

  async function loadOlder() {
    if (loadingOlder.current || !older.has) return;
    loadingOlder.current = true;
    const el = scroller.current;
    try {
      const r = await client
        .query(ChannelQuery, { id: channelId, before: older.cursor })
        .toPromise();
      const ch = r.data?.channel;
      if (!ch) return;
      if (el) restoreFromBottom.current = el.scrollHeight - el.scrollTop;
      setMessages((list) =>
        upsert(
          list,
          ch.messages.edges.map((e) => e.node),
        ),
      );
      setOlder({
        has: ch.messages.pageInfo.hasPreviousPage,
        cursor: ch.messages.pageInfo.startCursor ?? null,
      });
    } finally {
      loadingOlder.current = false;
    }
  }

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 200) void loadOlder();
  }

  if (missing) {
    return (
      <main className="channel">
        <p role="alert">This channel does not exist or you cannot see it.</p>
      </main>
    );
  }

  const typing = Object.values(typers).filter((t) => t.threadId === null);
  const threadTyping = Object.values(typers).filter((t) => thread && t.threadId === thread);
  return (
    <>
      <main className="channel" aria-labelledby="channel-title">
        <h1 id="channel-title">
          #{channel?.name ?? "…"}
          {channel?.isArchived && <span className="tag"> archived (read-only)</span>}
        </h1>
        {channel?.viewerIsMember && !channel.isSystem && (
          <button
            type="button"
            className="leave"
            onClick={async () => {
              const r = await leave({ input: { channelId } });
              if (!r.error && r.data?.leaveChannel.errors.length === 0) navigate("/");
            }}
          >
            Leave channel
          </button>
        )}
        {older.has && <p className="loading-older">Scroll up for older messages</p>}
        <div
          className="messages"
          ref={scroller}
          onScroll={onScroll}
          role="log"
          aria-label={`Messages in #${channel?.name ?? ""}`}
        >
          <div className="rows" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              if (!row) return null;
              return (
                <div
                  key={item.key}
                  data-index={item.index}
                  ref={virtualizer.measureElement}
                  className="row"
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  {row.kind === "day" ? (
                    <h2 className="day">{row.label}</h2>
                  ) : row.kind === "new" ? (
                    <h2 className="new-divider">New messages</h2>
                  ) : (
                    <MessageItem
                      msg={row.msg}
                      viewerId={viewerId}
                      readOnly={Boolean(channel?.isArchived)}
                      highlighted={row.msg.id === jumpTo}
                      onOpenThread={() => setThread(row.msg.id)}
                      onChanged={(m) => setMessages((list) => upsert(list, [m]))}
                      editRequested={editing === row.msg.id}
                      onEditStarted={() => setEditing(null)}
                    />
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <TypingLine typers={typing} />
        {channel && !channel.isArchived && (
          <Composer
            channelId={channelId}
            label={`Message #${channel.name}`}
            onSent={(m) => setMessages((list) => upsert(list, [m]))}
            onEditLast={() => {
              const mine = [...messages]
                .reverse()
                .find((m) => m.author.id === viewerId && !m.isDeleted);
              if (mine) setEditing(mine.id);
            }}
          />
        )}
        {channel?.isArchived && (
          <p className="readonly">This channel is archived: it is read-only.</p>
        )}
      </main>
      {thread && (
        <ThreadPane
          rootId={thread}
          channelId={channelId}
          viewerId={viewerId}
          liveReplies={replies}
          typers={threadTyping}
          readOnly={Boolean(channel?.isArchived)}
          onClose={() => {
            returnFocusTo.current = thread;
            setThread(null);
          }}
        />
      )}
    </>
  );
}

export function TypingLine({ typers }: { typers: { name: string }[] }) {
  const names = typers.map((t) => t.name);
  const text =
    names.length === 0
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.join(", ")} are typing…`;
  return (
    <p className="typing" aria-live="polite">
      {text}
    </p>
  );
}

/** Enter sends, Shift+Enter is a newline. Sends are optimistic and retried with one id. */
export function Composer({
  channelId,
  threadId,
  label,
  onSent,
  onEditLast,
}: {
  channelId: string;
  threadId?: string;
  label: string;
  onSent: (m: Msg) => void;
  onEditLast?: () => void;
}) {
  const [text, setText] = useState("");
  const [pending, setPending] = useState<Pending[]>([]);
  const [, post] = useMutation(PostMessage);
  const [, typing] = useMutation(SetTyping);
  const lastTyping = useRef(0);

  const send = useCallback(
    async (p: Pending, attempt = 0): Promise<void> => {
      const r = await post({
        input: {
          channelId,
          threadId: threadId ?? null,
          body: p.body,
          clientMutationId: p.clientMutationId,
        },
      });
      const payload = r.data?.postMessage;
      if (payload?.message) {
        onSent(payload.message);
        setPending((all) => all.filter((x) => x.clientMutationId !== p.clientMutationId));
        return;
      }
      if (r.error?.networkError && attempt < 5) {
        // Same clientMutationId: the server creates the message at most once.
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
        return send(p, attempt + 1);
      }
      // Say why when the server said why (e.g. RATE_LIMITED), so the user knows whether to retry.
      const reason = payload?.errors[0]?.message;
      setPending((all) =>
        all.map((x) =>
          x.clientMutationId === p.clientMutationId ? { ...x, failed: true, reason } : x,
        ),
      );
    },
    [post, channelId, threadId, onSent],
  );

  function submit() {
    const body = text.trim();
    if (!body) return;
    const p: Pending = { clientMutationId: crypto.randomUUID(), body, failed: false };
    setPending((all) => [...all, p]);
    setText("");
    void send(p);
  }

  return (
    <div className="composer">
      {pending.length > 0 && (
        <ul className="pending" aria-label="Sending">
          {pending.map((p) => (
            <li key={p.clientMutationId} className={p.failed ? "failed" : undefined}>
              <span>{p.body}</span>{" "}
              {p.failed ? (
                <>
                  <span role="alert">{p.reason ? `Not sent: ${p.reason}` : "Not sent."}</span>{" "}
                  <button
                    type="button"
                    onClick={() => {
                      setPending((all) => all.map((x) => (x === p ? { ...x, failed: false } : x)));
                      void send(p);
                    }}
                  >
                    Retry
                  </button>
                </>
              ) : (
                <small>sending…</small>
              )}
            </li>
          ))}
        </ul>
      )}
      <textarea
        aria-label={label}
        placeholder={label}
        rows={2}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const now = Date.now();
          if (e.target.value && now - lastTyping.current > 3_000) {
            lastTyping.current = now;
            void typing({ input: { channelId, threadId: threadId ?? null } });
          }
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          } else if (e.key === "ArrowUp" && text === "" && onEditLast) {
            // ↑ in an empty composer edits the viewer's last message.
            e.preventDefault();
            onEditLast();
          }
        }}
      />
    </div>
  );
}
