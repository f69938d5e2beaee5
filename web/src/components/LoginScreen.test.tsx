import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadTokens } from "../auth/session";
import { LoginScreen } from "./LoginScreen";

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

function answer(body: unknown) {
  return vi.fn(
    async () =>
      new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } }),
  );
}

describe("LoginScreen", () => {
  it("shows why the last session ended", () => {
    render(<LoginScreen notice="Your session has ended. Please log in again." />);
    expect(screen.getByRole("status")).toHaveTextContent("Your session has ended");
  });

  it("shows the server's message for wrong credentials and stores nothing", async () => {
    const fetch = answer({
      data: {
        login: { errors: [{ code: "INVALID_CREDENTIALS", message: "Wrong email or password" }] },
      },
    });
    vi.stubGlobal("fetch", fetch);
    render(<LoginScreen notice={null} />);
    await userEvent.type(screen.getByLabelText("Email"), "a@b.example");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password");
    expect(loadTokens()).toBeNull();
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body)).variables).toEqual({
      input: { email: "a@b.example", password: "nope" },
    });
  });

  it("stores the session's tokens on success", async () => {
    const later = new Date(Date.now() + 900_000).toISOString();
    vi.stubGlobal(
      "fetch",
      answer({
        data: {
          login: {
            errors: [],
            accessToken: "acc",
            accessTokenExpiresAt: later,
            refreshToken: "ref",
            refreshTokenExpiresAt: later,
          },
        },
      }),
    );
    render(<LoginScreen notice={null} />);
    await userEvent.type(screen.getByLabelText("Email"), "a@b.example");
    await userEvent.type(screen.getByLabelText("Password"), "right");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    await vi.waitFor(() => expect(loadTokens()?.refreshToken).toBe("ref"));
  });
});
