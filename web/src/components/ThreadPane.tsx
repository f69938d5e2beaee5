import { useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import { ThreadQuery } from "../api/documents";
import { type Msg, upsert } from "../messages";
import { Composer, TypingLine } from "./ChannelPane";
import { MessageItem } from "./MessageItem";

interface Props {
  rootId: string;
  channelId: string;
  viewerId: string;
  liveReplies: Msg[];
  typers: { name: string }[];
  readOnly: boolean;
  onClose: () => void;
}

/** The thread beside the channel; its live replies come from the channel's event stream. */
export function ThreadPane({
  rootId,
  channelId,
  viewerId,
  liveReplies,
  typers,
  readOnly,
  onClose,
}: Props) {
  const client = useClient();
  const [root, setRoot] = useState<Msg | null>(null);
  const [replies, setReplies] = useState<Msg[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    void client
      .query(ThreadQuery, { id: rootId }, { requestPolicy: "network-only" })
      .toPromise()
      .then((r) => {
        if (!live || !r.data?.message) return;
        const { replies: page, ...rootMsg } = r.data.message;
        setRoot(rootMsg);
        setReplies((list) => upsert(list, page.nodes));
      });
    heading.current?.focus();
    return () => {
      live = false;
    };
  }, [client, rootId]);

  const shown = upsert(
    replies,
    liveReplies.filter((m) => m.threadId === rootId),
  );
  return (
    <aside className="thread" aria-labelledby="thread-title">
      <h2 id="thread-title" tabIndex={-1} ref={heading}>
        Thread
      </h2>
      <button type="button" className="close" onClick={onClose} aria-label="Close thread">
        ×
      </button>
      {root && (
        <MessageItem msg={root} viewerId={viewerId} readOnly={readOnly} onChanged={setRoot} />
      )}
      <section aria-label="Replies" className="replies">
        {shown.map((m) => (
          <MessageItem
            key={m.id}
            msg={m}
            viewerId={viewerId}
            readOnly={readOnly}
            onChanged={(x) => setReplies((l) => upsert(l, [x]))}
          />
        ))}
      </section>
      <TypingLine typers={typers} />
      {!readOnly && (
        <Composer
          channelId={channelId}
          threadId={rootId}
          label="Reply in thread"
          onSent={(m) => setReplies((l) => upsert(l, [m]))}
        />
      )}
    </aside>
  );
}
