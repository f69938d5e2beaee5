import { useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { AddReaction, DeleteMessage, EditMessage, RemoveReaction } from "../api/documents";
import { COMMON_EMOJI, type Msg, emojiForShortName } from "../messages";

interface Props {
  msg: Msg;
  viewerId: string;
  readOnly: boolean;
  onOpenThread?: () => void;
  onChanged: (m: Msg) => void;
  /** Start editing now (↑ in the composer); `onEditStarted` acknowledges it. */
  editRequested?: boolean;
  onEditStarted?: () => void;
  /** The search result jumped to. */
  highlighted?: boolean;
}

const time = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

export function MessageItem({
  msg,
  viewerId,
  readOnly,
  onOpenThread,
  onChanged,
  editRequested,
  onEditStarted,
  highlighted,
}: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(msg.body);
  const [conflict, setConflict] = useState<string | null>(null);
  // The version the draft started from: a live edit meanwhile must surface as a conflict.
  const [baseVersion, setBaseVersion] = useState(msg.version);
  const [picker, setPicker] = useState(false);
  const [shortName, setShortName] = useState("");
  const [shortNameError, setShortNameError] = useState(false);
  const [, edit] = useMutation(EditMessage);
  const [, remove] = useMutation(DeleteMessage);
  const [, react] = useMutation(AddReaction);
  const [, unreact] = useMutation(RemoveReaction);
  const own = msg.author.id === viewerId;
  const editBox = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (editing) editBox.current?.focus();
  }, [editing]);

  useEffect(() => {
    if (!editRequested) return;
    setDraft(msg.body);
    setBaseVersion(msg.version);
    setConflict(null);
    setEditing(true);
    onEditStarted?.();
  }, [editRequested, msg.body, msg.version, onEditStarted]);

  async function save() {
    const r = await edit({
      input: { messageId: msg.id, body: draft, expectedVersion: baseVersion },
    });
    const payload = r.data?.editMessage;
    const err = payload?.errors[0];
    if (err?.code === "VERSION_CONFLICT" && payload?.message) {
      // Someone changed it meanwhile: show their text; saving again applies ours over it.
      setConflict(payload.message.body);
      setBaseVersion(payload.message.version);
      onChanged(payload.message);
      return;
    }
    if (payload?.message && !err) {
      onChanged(payload.message);
      setEditing(false);
      setConflict(null);
    } else setConflict(err?.message ?? "Could not save");
  }

  async function toggle(emoji: string, has: boolean) {
    setPicker(false);
    const r = has
      ? await unreact({ input: { messageId: msg.id, emoji } })
      : await react({ input: { messageId: msg.id, emoji } });
    const m = has
      ? r.data && "removeReaction" in r.data
        ? r.data.removeReaction.message
        : null
      : r.data && "addReaction" in r.data
        ? r.data.addReaction.message
        : null;
    if (m) onChanged(m);
  }

  return (
    <article
      className={highlighted ? "msg jumped" : "msg"}
      id={`msg-${msg.id}`}
      tabIndex={-1}
      aria-label={`${msg.author.displayName} at ${time(msg.createdAt)}`}
    >
      <header>
        <strong>{msg.author.displayName}</strong>{" "}
        <time dateTime={msg.createdAt}>{time(msg.createdAt)}</time>
        {msg.editedAt && !msg.isDeleted && <small className="edited"> (edited)</small>}
      </header>
      {msg.isDeleted ? (
        <p className="deleted">This message was deleted.</p>
      ) : editing ? (
        <div className="edit">
          <label htmlFor={`edit-${msg.id}`} className="sr-only">
            Edit message
          </label>
          <textarea
            id={`edit-${msg.id}`}
            ref={editBox}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                void save();
              } else if (e.key === "Escape") setEditing(false);
            }}
          />
          {conflict !== null && (
            <p role="alert" className="error">
              Someone else edited this message. Current text: “{conflict}”. Save again to replace
              it.
            </p>
          )}
          <button type="button" onClick={() => void save()}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <p className="body">{msg.body}</p>
      )}
      {msg.reactions.length > 0 && (
        <ul className="reactions" aria-label="Reactions">
          {msg.reactions.map((r) => (
            <li key={r.emoji}>
              <button
                type="button"
                aria-pressed={r.viewerHasReacted}
                aria-label={`${r.emoji} ${r.count}`}
                disabled={readOnly}
                onClick={() => void toggle(r.emoji, r.viewerHasReacted)}
              >
                {r.emoji} {r.count}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!msg.isDeleted && (
        <div className="actions">
          {!readOnly && (
            <button type="button" onClick={() => setPicker((p) => !p)} aria-expanded={picker}>
              Add reaction
            </button>
          )}
          {onOpenThread && (
            <button type="button" className="thread-button" onClick={onOpenThread}>
              {msg.replyCount > 0
                ? `${msg.replyCount} ${msg.replyCount === 1 ? "reply" : "replies"}`
                : "Reply in thread"}
            </button>
          )}
          {own && !readOnly && !editing && (
            <button
              type="button"
              onClick={() => {
                setDraft(msg.body);
                setBaseVersion(msg.version);
                setConflict(null);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {own && !readOnly && (
            <button
              type="button"
              onClick={async () => {
                if (!window.confirm("Delete this message?")) return;
                const r = await remove({ input: { messageId: msg.id } });
                const m = r.data?.deleteMessage.message;
                if (m) onChanged(m);
              }}
            >
              Delete
            </button>
          )}
        </div>
      )}
      {picker && (
        <div className="picker" role="group" aria-label="Pick a reaction">
          {COMMON_EMOJI.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={`React ${e}`}
              onClick={() => void toggle(e, false)}
            >
              {e}
            </button>
          ))}
          <label htmlFor={`short-${msg.id}`} className="sr-only">
            Reaction by :short_name:
          </label>
          <input
            id={`short-${msg.id}`}
            placeholder=":short_name:"
            value={shortName}
            aria-invalid={shortNameError}
            aria-describedby={shortNameError ? `short-err-${msg.id}` : undefined}
            onChange={(e) => {
              setShortName(e.target.value);
              setShortNameError(false);
            }}
            onKeyDown={(e) => {
              if (e.key !== "Enter") return;
              e.preventDefault();
              const emoji = emojiForShortName(shortName);
              if (!emoji) {
                setShortNameError(true);
                return;
              }
              // Typing a reaction the viewer already has takes it back (a toggle).
              const has = msg.reactions.some((r) => r.emoji === emoji && r.viewerHasReacted);
              setShortName("");
              void toggle(emoji, has);
            }}
          />
          {shortNameError && (
            <span id={`short-err-${msg.id}`} role="alert" className="error">
              Unknown short name
            </span>
          )}
        </div>
      )}
    </article>
  );
}
