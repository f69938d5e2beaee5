import type { Client as WsClient } from "graphql-ws";
import { useEffect, useMemo, useState } from "react";
import { useQuery } from "urql";
import { AdminQuery, AuditEventsSub } from "../api/documents";
import { subscribeResumable } from "../api/live";
import type { AuditEntryFieldsFragment, AuditFilter } from "../gql/graphql";

type Entry = AuditEntryFieldsFragment;

function Diff({ diff }: { diff: unknown }) {
  const d = (diff ?? {}) as { before?: unknown; after?: unknown };
  return (
    <div className="diff">
      <div>
        <strong>Before</strong>
        <pre>{JSON.stringify(d.before ?? null, null, 2)}</pre>
      </div>
      <div>
        <strong>After</strong>
        <pre>{JSON.stringify(d.after ?? null, null, 2)}</pre>
      </div>
    </div>
  );
}

export interface AuditForm {
  action: string;
  actorId: string;
  targetId: string;
  /** yyyy-mm-dd from a date input, local day; both ends inclusive. */
  from: string;
  to: string;
}

/** The form as an `AuditFilter`: local days become instants; `until` is exclusive. */
export function auditFilter(form: AuditForm): AuditFilter {
  const startOf = (day: string, plusDays = 0) => {
    const [y, m, d] = day.split("-").map(Number);
    return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString();
  };
  return {
    action: form.action.trim() || null,
    actorId: form.actorId || null,
    targetId: form.targetId.trim() || null,
    since: form.from ? startOf(form.from) : null,
    until: form.to ? startOf(form.to, 1) : null,
  };
}

/** Newest first, each entry once (a live entry may also come with a refetch). */
export function mergeEntries(live: readonly Entry[], page: readonly Entry[]): Entry[] {
  const byId = new Map<string, Entry>();
  for (const e of [...live, ...page]) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

const EMPTY: AuditForm = { action: "", actorId: "", targetId: "", from: "", to: "" };

export function AdminScreen({ ws }: { ws: WsClient }) {
  const [form, setForm] = useState<AuditForm>(EMPTY);
  const filter = useMemo(() => auditFilter(form), [form]);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: AdminQuery,
    variables: { filter },
    requestPolicy: "network-only",
  });
  const [live, setLive] = useState<Entry[]>([]);
  const page = data?.auditLog.nodes;
  const newest = page?.[0]?.cursor ?? null;

  // Follow the trail live from the newest listed entry, with the same filter.
  useEffect(() => {
    if (!page) return;
    setLive([]);
    const sub = subscribeResumable(
      ws,
      AuditEventsSub,
      { after: newest, filter },
      {
        onEvent: ({ auditEvents: e }) => setLive((all) => [e, ...all.filter((x) => x.id !== e.id)]),
        onResync: () => refetch({ requestPolicy: "network-only" }),
      },
    );
    return () => sub.stop();
  }, [ws, page, newest, filter, refetch]);

  const set = (key: keyof AuditForm) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));
  const entries = mergeEntries(live, page ?? []);
  return (
    <main className="admin" aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <section aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {data?.users.nodes.map((u) => (
              <tr key={u.id}>
                <td>{u.displayName}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.isActive ? u.presence.toLowerCase() : "deactivated"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        <fieldset className="audit-filters">
          <legend>Filter</legend>
          <label htmlFor="audit-action">Action</label>{" "}
          <input
            id="audit-action"
            placeholder="e.g. message.edit"
            value={form.action}
            onChange={set("action")}
          />{" "}
          <label htmlFor="audit-actor">Actor</label>{" "}
          <select id="audit-actor" value={form.actorId} onChange={set("actorId")}>
            <option value="">Anyone</option>
            {data?.users.nodes.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName}
              </option>
            ))}
          </select>{" "}
          <label htmlFor="audit-target">Target ID</label>{" "}
          <input id="audit-target" value={form.targetId} onChange={set("targetId")} />{" "}
          <label htmlFor="audit-from">From</label>{" "}
          <input id="audit-from" type="date" value={form.from} onChange={set("from")} />{" "}
          <label htmlFor="audit-to">To</label>{" "}
          <input id="audit-to" type="date" value={form.to} onChange={set("to")} />{" "}
          <button type="button" onClick={() => setForm(EMPTY)}>
            Clear filters
          </button>
        </fieldset>
        {error ? (
          <p role="alert">{error.graphQLErrors[0]?.message ?? "Cannot load the audit log"}</p>
        ) : (
          page && entries.length === 0 && <p>No entries match.</p>
        )}
        <ol className="audit" aria-live="polite" aria-busy={fetching}>
          {entries.map((a) => (
            <li key={a.id}>
              <details>
                <summary>
                  <code>{a.action}</code> {a.targetType} by {a.actor?.displayName ?? "operator"} ·{" "}
                  {new Date(a.at).toLocaleString()} · via {a.via}
                </summary>
                <Diff diff={a.diff} />
              </details>
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
