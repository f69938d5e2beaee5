import { afterEach, describe, expect, it } from "vitest";
import {
  type Tokens,
  clearTokens,
  loadTokens,
  onTokens,
  refreshDelayMs,
  saveTokens,
} from "./session";

const tokens = (accessInMs: number, refreshInMs = 86_400_000, now = Date.now()): Tokens => ({
  accessToken: "a",
  accessTokenExpiresAt: new Date(now + accessInMs).toISOString(),
  refreshToken: "r",
  refreshTokenExpiresAt: new Date(now + refreshInMs).toISOString(),
});

afterEach(() => sessionStorage.clear());

describe("refreshDelayMs", () => {
  it("rotates a minute before a 15-minute access token expires", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(refreshDelayMs(tokens(15 * 60_000, undefined, now), now)).toBe(14 * 60_000);
  });

  it("rotates at 80% of a short lifetime, and at once when already expired", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(refreshDelayMs(tokens(30_000, undefined, now), now)).toBe(24_000);
    expect(refreshDelayMs(tokens(-5_000, undefined, now), now)).toBe(0);
  });
});

describe("session storage", () => {
  it("stores, reloads and clears the tokens, telling listeners why", () => {
    const seen: (string | null)[] = [];
    const off = onTokens((t, reason) => seen.push(t ? "saved" : reason));
    saveTokens(tokens(60_000));
    expect(loadTokens()?.accessToken).toBe("a");
    clearTokens("revoked");
    expect(loadTokens()).toBeNull();
    expect(seen).toEqual(["saved", "revoked"]);
    off();
  });

  it("forgets a session whose refresh token has expired", () => {
    saveTokens(tokens(-120_000, -60_000));
    expect(loadTokens()).toBeNull();
  });
});
