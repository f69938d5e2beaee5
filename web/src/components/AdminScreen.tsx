import { useState } from "react";
import { useQuery } from "urql";
import { AdminQuery } from "../api/documents";

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

export function AdminScreen() {
  const [action, setAction] = useState("");
  const [{ data, error }] = useQuery({
    query: AdminQuery,
    variables: { action: action || null },
    requestPolicy: "network-only",
  });
  if (error) {
    return (
      <main className="admin">
        <p role="alert">{error.graphQLErrors[0]?.message ?? "Cannot load the admin view"}</p>
      </main>
    );
  }
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
        <label htmlFor="audit-action">Action</label>{" "}
        <input
          id="audit-action"
          placeholder="e.g. message.edit"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
        <ol className="audit">
          {data?.auditLog.nodes.map((a) => (
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
