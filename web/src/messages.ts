import type { MessageFieldsFragment } from "./gql/graphql";

export type Msg = MessageFieldsFragment;

/** A message the viewer sent that the server has not confirmed yet. */
export interface Pending {
  clientMutationId: string;
  body: string;
  failed: boolean;
  /** Why the server refused it (its error message), when it did. */
  reason?: string;
}

/** Add or replace messages by id, keeping channel order (seq); events may repeat. */
export function upsert(list: readonly Msg[], incoming: readonly Msg[]): Msg[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) {
    const known = byId.get(m.id);
    // An older copy (a late or replayed event) never overwrites a newer one.
    if (!known || m.version >= known.version) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const diff = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  return d.toLocaleDateString(undefined, {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
  });
}

export type Row =
  | { kind: "day"; key: string; label: string }
  | { kind: "new"; key: string }
  | { kind: "msg"; key: string; msg: Msg };

/**
 * Messages interleaved with a separator wherever the local day changes, and a "New messages"
 * divider right before `firstUnreadId` when given.
 */
export function withDaySeparators(
  list: readonly Msg[],
  now: Date = new Date(),
  firstUnreadId: string | null = null,
): Row[] {
  const rows: Row[] = [];
  let last = "";
  for (const msg of list) {
    const label = dayLabel(msg.createdAt, now);
    if (label !== last) {
      rows.push({ kind: "day", key: `day-${msg.id}`, label });
      last = label;
    }
    if (msg.id === firstUnreadId) rows.push({ kind: "new", key: "new-messages" });
    rows.push({ kind: "msg", key: msg.id, msg });
  }
  return rows;
}

/**
 * The first unread root message, when the API gives only a count: the server's `unreadCount`
 * counts messages after the read marker that others wrote, so walk back over others' messages.
 * Null when nothing is unread; the oldest loaded one when more are unread than are loaded.
 */
export function firstUnread(
  list: readonly Msg[],
  unreadCount: number,
  viewerId: string,
): string | null {
  if (unreadCount <= 0) return null;
  let left = unreadCount;
  let first: string | null = null;
  for (let i = list.length - 1; i >= 0 && left > 0; i--) {
    const m = list[i];
    if (!m || m.author.id === viewerId) continue;
    first = m.id;
    left--;
  }
  return first;
}

/** Split a server snippet (HTML-escaped, matches in <mark>) into text parts without innerHTML. */
export function snippetParts(snippet: string): { text: string; mark: boolean }[] {
  const decode = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const parts: { text: string; mark: boolean }[] = [];
  const re = /<mark>(.*?)<\/mark>/gs;
  let at = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > at) parts.push({ text: decode(snippet.slice(at, m.index)), mark: false });
    parts.push({ text: decode(m[1] ?? ""), mark: true });
    at = m.index + m[0].length;
  }
  if (at < snippet.length) parts.push({ text: decode(snippet.slice(at)), mark: false });
  return parts;
}

export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "👀", "🙏"];

/** Common `:short_name:`s (Slack/GitHub spelling) for typing a reaction by name. */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  "+1": "👍",
  thumbsup: "👍",
  "-1": "👎",
  thumbsdown: "👎",
  heart: "❤️",
  joy: "😂",
  laughing: "😆",
  smile: "😄",
  slightly_smiling_face: "🙂",
  wink: "😉",
  thinking_face: "🤔",
  tada: "🎉",
  eyes: "👀",
  pray: "🙏",
  clap: "👏",
  fire: "🔥",
  rocket: "🚀",
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  x: "❌",
  warning: "⚠️",
  100: "💯",
  ok_hand: "👌",
  wave: "👋",
  muscle: "💪",
  star: "⭐",
  sparkles: "✨",
  cry: "😢",
  sob: "😭",
  sweat_smile: "😅",
  scream: "😱",
  rage: "😡",
  party: "🥳",
  partying_face: "🥳",
  coffee: "☕",
  bug: "🐛",
  bulb: "💡",
  memo: "📝",
  question: "❓",
  raised_hands: "🙌",
};

/** The emoji for `:name:` (colons optional, any case), or null when the name is unknown. */
export function emojiForShortName(typed: string): string | null {
  const name = typed.trim().replace(/^:/, "").replace(/:$/, "").toLowerCase();
  return Object.hasOwn(SHORT_NAMES, name) ? (SHORT_NAMES[name] ?? null) : null;
}
