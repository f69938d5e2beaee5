import { useEffect, useMemo, useState } from "react";
import { Provider } from "urql";
import { createClient, createWs } from "./api/client";
import { scheduleRefresh } from "./auth/api";
import { type Tokens, loadTokens, onTokens } from "./auth/session";
import { LoginScreen } from "./components/LoginScreen";
import { Shell } from "./components/Shell";

export function App() {
  const [tokens, setTokens] = useState<Tokens | null>(() => loadTokens());
  const [notice, setNotice] = useState<string | null>(null);
  const loggedIn = tokens !== null;

  useEffect(
    () =>
      onTokens((next, reason) => {
        setTokens(next);
        if (!next) setNotice(reason);
      }),
    [],
  );
  useEffect(() => scheduleRefresh(tokens), [tokens]);

  if (!loggedIn) return <LoginScreen notice={notice} />;
  return <Session />;
}

/** One socket and one cache per login; logging out drops both. */
function Session() {
  const { ws, client } = useMemo(() => {
    const ws = createWs();
    return { ws, client: createClient(ws) };
  }, []);
  useEffect(() => () => void ws.dispose(), [ws]);
  return (
    <Provider value={client}>
      <Shell ws={ws} />
    </Provider>
  );
}
