import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import "./page.css";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { loadTokens } from "../auth/session";

// GraphiQL from our own build (no CDN). If the web client is logged in in this tab, its token
// fills the Authorization header; the WebSocket gets it in connection_init.
const wsScheme = location.protocol === "https:" ? "wss:" : "ws:";

function App() {
  const token = loadTokens()?.accessToken;
  const [headers] = useState(
    token ? JSON.stringify({ authorization: `Bearer ${token}` }, null, 2) : "",
  );
  const fetcher = createGraphiQLFetcher({
    url: "/graphql",
    subscriptionUrl: `${wsScheme}//${location.host}/graphql`,
    wsConnectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  return <GraphiQL fetcher={fetcher} defaultHeaders={headers} shouldPersistHeaders={false} />;
}

const root = document.getElementById("graphiql");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
