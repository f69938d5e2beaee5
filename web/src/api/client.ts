import { cacheExchange } from "@urql/exchange-graphcache";
import { type Client as WsClient, createClient as createWsClient } from "graphql-ws";
import { Client, fetchExchange, subscriptionExchange } from "urql";
import { SESSION_ENDED, refreshNow } from "../auth/api";
import { clearTokens, loadTokens } from "../auth/session";
import { setConnectionState } from "./connection";

function wsUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/graphql`;
}

/** The server refused the credential (4403) or ended the socket's session (4401). */
const REFUSED = new Set([4401, 4403]);

export function createWs(): WsClient {
  const ws = createWsClient({
    url: wsUrl(),
    lazy: false,
    keepAlive: 20_000,
    // Our subscriptions resume themselves with their last cursor (see live.ts), so the socket
    // reconnects but never replays an operation with stale variables.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5_000)));
    },
    connectionParams: async () => {
      let tokens = loadTokens();
      if (tokens && Date.parse(tokens.accessTokenExpiresAt) - Date.now() < 5_000) {
        tokens = await refreshNow();
      }
      return tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {};
    },
    on: {
      connecting: () => setConnectionState("connecting"),
      connected: () => setConnectionState("connected"),
      closed: (event) => {
        setConnectionState("disconnected");
        const code = (event as CloseEvent | undefined)?.code;
        if (code !== undefined && REFUSED.has(code)) {
          // The token may just have expired: rotate once; if that fails the session is over.
          refreshNow()
            .then((tokens) => {
              if (!tokens) clearTokens(SESSION_ENDED);
            })
            .catch(() => undefined);
        }
      },
    },
  });
  // A dead network does not close an open socket by itself (no FIN arrives): when the browser
  // says it went offline, drop the socket now so the banner shows and the retry loop takes over.
  window.addEventListener("offline", () => ws.terminate());
  return ws;
}

// Types without an id are embedded in their parent rather than normalized.
const embedded = () => null;

export function createClient(ws: WsClient): Client {
  return new Client({
    url: "/graphql",
    // The server executes only POSTed JSON (no queries in URLs, none cached by proxies).
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange({
        keys: {
          PageInfo: embedded,
          ReactionSummary: embedded,
          UserError: embedded,
          MessageEdge: embedded,
          ChannelEdge: embedded,
          UserEdge: embedded,
          AuditEntryEdge: embedded,
          SearchResultEdge: embedded,
          SearchResult: embedded,
          MessageConnection: embedded,
          ChannelConnection: embedded,
          UserConnection: embedded,
          AuditEntryConnection: embedded,
          SearchResultConnection: embedded,
          MessageRevision: embedded,
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink),
          }),
        }),
      }),
    ],
    fetchOptions: () => {
      const tokens = loadTokens();
      return tokens ? { headers: { authorization: `Bearer ${tokens.accessToken}` } } : {};
    },
  });
}
