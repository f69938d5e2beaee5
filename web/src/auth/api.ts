import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { graphql } from "../gql";
import { type Tokens, clearTokens, loadTokens, refreshDelayMs, saveTokens } from "./session";

export const SESSION_ENDED = "Your session has ended. Please log in again.";

const LoginDoc = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      errors { code message }
      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    }
  }
`);

const RefreshDoc = graphql(`
  mutation Refresh($input: RefreshTokenInput!) {
    refreshToken(input: $input) {
      errors { code message }
      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    }
  }
`);

const LogoutDoc = graphql(`
  mutation Logout($input: LogoutInput!) {
    logout(input: $input) { sessionsEnded }
  }
`);

// Auth calls go around the urql client: they run before there is a session, and a refresh must
// never wait behind the requests that are waiting for it.
async function post<R, V>(doc: TypedDocumentNode<R, V>, variables: V, token?: string): Promise<R> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const body = (await response.json()) as { data?: R; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

type Payload = {
  errors: { code: string; message: string }[];
  accessToken?: string | null;
  accessTokenExpiresAt?: string | null;
  refreshToken?: string | null;
  refreshTokenExpiresAt?: string | null;
};

function toTokens(p: Payload): Tokens | null {
  if (!p.accessToken || !p.accessTokenExpiresAt || !p.refreshToken || !p.refreshTokenExpiresAt) {
    return null;
  }
  return {
    accessToken: p.accessToken,
    accessTokenExpiresAt: p.accessTokenExpiresAt,
    refreshToken: p.refreshToken,
    refreshTokenExpiresAt: p.refreshTokenExpiresAt,
  };
}

/** Log in; resolves to an error message for the form, or null once the session is stored. */
export async function login(email: string, password: string): Promise<string | null> {
  const data = await post(LoginDoc, { input: { email, password } });
  const tokens = toTokens(data.login);
  if (!tokens) return data.login.errors[0]?.message ?? "Login failed";
  saveTokens(tokens);
  return null;
}

let refreshing: Promise<Tokens | null> | null = null;

/** Rotate the refresh token once, however many callers ask at the same time. */
export function refreshNow(): Promise<Tokens | null> {
  if (refreshing) return refreshing;
  const current = loadTokens();
  if (!current) return Promise.resolve(null);
  refreshing = (async () => {
    try {
      const data = await post(RefreshDoc, { input: { refreshToken: current.refreshToken } });
      const tokens = toTokens(data.refreshToken);
      if (!tokens) {
        clearTokens(SESSION_ENDED);
        return null;
      }
      saveTokens(tokens);
      return tokens;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let timer: ReturnType<typeof setTimeout> | undefined;

/** Keep one timer that rotates the tokens before the access token expires. */
export function scheduleRefresh(tokens: Tokens | null): void {
  clearTimeout(timer);
  if (!tokens) return;
  timer = setTimeout(() => {
    // A network failure leaves the session; the next attempt comes with the next request.
    refreshNow().catch(() => undefined);
  }, refreshDelayMs(tokens));
}

export async function logout(): Promise<void> {
  const tokens = loadTokens();
  if (tokens) {
    try {
      await post(LogoutDoc, { input: { refreshToken: tokens.refreshToken } }, tokens.accessToken);
    } catch {
      // Logging out locally must work offline too.
    }
  }
  clearTokens(null);
}
