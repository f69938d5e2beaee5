import { useQuery } from "urql";
import { SearchQuery } from "../api/documents";
import { snippetParts } from "../messages";
import { channelPath, onLinkClick } from "../router";

export function SearchScreen({ query }: { query: string }) {
  const [{ data, error, fetching }] = useQuery({
    query: SearchQuery,
    variables: { query },
    pause: !query,
  });
  const results = data?.search.nodes ?? [];
  return (
    <main className="search" aria-labelledby="search-title">
      <h1 id="search-title">Search: {query}</h1>
      {fetching && <p>Searching…</p>}
      {error && <SearchError query={query} error={error.graphQLErrors[0]} />}
      {data && (
        <p>
          {data.search.totalCount}
          {data.search.totalCountIsExact ? "" : "+"} results
        </p>
      )}
      <ol className="results">
        {results.map((r) => (
          <li key={r.message.id}>
            <a
              href={channelPath(
                r.channel.id,
                r.message.isReply ? r.message.threadId : r.message.id,
              )}
              onClick={onLinkClick}
            >
              <span className="where">
                #{r.channel.name} · {r.message.author.displayName} ·{" "}
                {new Date(r.message.createdAt).toLocaleString()}
              </span>
              <span className="snippet">
                {snippetParts(r.snippet).map((p, i) =>
                  // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed string
                  p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
                )}
              </span>
            </a>
          </li>
        ))}
      </ol>
    </main>
  );
}

/** INVALID_QUERY carries the position of the fault: point at it in the query. */
function SearchError({
  query,
  error,
}: { query: string; error?: { message: string; extensions?: Record<string, unknown> } }) {
  const position = error?.extensions?.position;
  return (
    <div role="alert" className="error">
      <p>{error?.message ?? "Search failed"}</p>
      {error?.extensions?.code === "INVALID_QUERY" && typeof position === "number" && (
        <p>
          <code>
            {query.slice(0, position)}
            <mark>{query.slice(position, position + 1) || " "}</mark>
            {query.slice(position + 1)}
          </code>
        </p>
      )}
    </div>
  );
}
