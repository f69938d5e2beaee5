import AxeBuilder from "@axe-core/playwright";
import { type Page, expect, test } from "@playwright/test";
import { SHOTS, bodies, newUser, openChannel, post } from "./fixtures";

async function noSeriousAxe(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${screen}: ${v.id} ${v.nodes[0]?.target}`)).toEqual([]);
}

test("login screen is labelled and accessible; a wrong password is refused", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Log in to workchat" })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/login.png` });
  await noSeriousAxe(page, "login");
  await page.getByLabel("Email").fill("alice@acme.example.com");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText(/password/i);
});

test("a user creates and joins a channel, posts, and sees the message", async ({ browser }) => {
  const alice = await newUser(browser, "alice");
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Channel name").fill("random");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await expect(alice.getByRole("textbox", { name: "Message #random" })).toBeVisible();

  const bob = await newUser(browser, "bob");
  await bob.getByRole("button", { name: "Browse channels" }).click();
  await bob.getByRole("button", { name: "Join random" }).click();
  await expect(bob.getByRole("textbox", { name: "Message #random" })).toBeVisible();
  await expect(
    bob.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "random" }),
  ).toBeVisible();
  await post(bob, "random", "hello from bob");
  await expect(bodies(bob).last()).toHaveText("hello from bob");
  // Leaving takes the channel out of the sidebar.
  await bob.getByRole("button", { name: "Leave channel" }).click();
  await expect(
    bob.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "random" }),
  ).toHaveCount(0);
  await alice.context().close();
  await bob.context().close();
});

test("two users live: messages, unread badge, reactions, threads, typing", async ({ browser }) => {
  const alice = await newUser(browser, "alice");
  const bob = await newUser(browser, "bob");
  await openChannel(alice, "general");
  // Bob is elsewhere (the welcome screen): his badge for #general counts alice's message.
  await post(alice, "general", "live hello");
  await expect(bob.getByTestId("unread-general")).toHaveText(/1/, { timeout: 2_000 });

  await openChannel(bob, "general");
  await expect(bodies(bob).last()).toHaveText("live hello", { timeout: 2_000 });
  await expect(bob.getByTestId("unread-general")).toHaveCount(0);

  // Typing indicator.
  await bob.getByRole("textbox", { name: "Message #general" }).pressSequentially("hm");
  await expect(alice.getByText("Bob is typing…")).toBeVisible({ timeout: 2_000 });

  // Bob reacts; alice sees the count.
  const bobMsg = bob.getByRole("log").locator("article").last();
  await bobMsg.getByRole("button", { name: "Add reaction" }).click();
  await bobMsg.getByRole("button", { name: "React 👍" }).click();
  await expect(
    alice.getByRole("log").locator("article").last().getByRole("button", { name: "👍 1" }),
  ).toBeVisible({
    timeout: 2_000,
  });
  await alice.screenshot({ path: `${SHOTS}/channel.png` });
  await noSeriousAxe(alice, "channel");

  // Alice opens the thread; bob replies; alice's pane updates live.
  await alice
    .getByRole("log")
    .locator("article")
    .last()
    .getByRole("button", { name: "Reply in thread" })
    .click();
  await expect(alice.getByRole("complementary", { name: "Thread" })).toBeVisible();
  await bob
    .getByRole("log")
    .locator("article")
    .last()
    .getByRole("button", { name: "Reply in thread" })
    .click();
  const reply = bob.getByRole("textbox", { name: "Reply in thread" });
  await reply.fill("a threaded reply");
  await reply.press("Enter");
  const thread = alice.getByRole("complementary", { name: "Thread" });
  await expect(
    thread.getByRole("region", { name: "Replies" }).getByText("a threaded reply"),
  ).toBeVisible({ timeout: 2_000 });
  await expect(
    alice.getByRole("log").locator("article").last().getByRole("button", { name: "1 reply" }),
  ).toBeVisible();
  await alice.screenshot({ path: `${SHOTS}/thread.png` });
  await noSeriousAxe(alice, "thread");

  // Presence dots follow viewerEvents: bob leaves, alice sees him offline.
  const people = alice
    .getByRole("navigation", { name: "Channels" })
    .getByRole("list", { name: "People" });
  await expect(people.getByRole("listitem").filter({ hasText: "Bob (online)" })).toBeVisible();
  await bob.context().close();
  await expect(people.getByRole("listitem").filter({ hasText: "Bob (offline)" })).toBeVisible({
    timeout: 5_000,
  });
  await alice.context().close();
});

test("offline and back: exactly the messages posted meanwhile, in order, once", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  const bob = await newUser(browser, "bob");
  await openChannel(alice, "general");
  await openChannel(bob, "general");
  await post(alice, "general", "before the drop");
  await expect(bodies(bob).last()).toHaveText("before the drop");
  const before = await bodies(bob).count();

  await bob.context().setOffline(true);
  await expect(bob.getByText("Connection lost. Reconnecting…")).toBeVisible({ timeout: 30_000 });
  await bob.screenshot({ path: `${SHOTS}/offline.png` });
  const sent = ["one", "two", "three", "four", "five"].map((w) => `meanwhile ${w}`);
  for (const text of sent) {
    await post(alice, "general", text);
    await expect(bodies(alice).last()).toHaveText(text);
  }
  await bob.context().setOffline(false);
  await expect(bodies(bob)).toHaveCount(before + 5, { timeout: 15_000 });
  const shown = await bodies(bob).allTextContents();
  expect(shown.slice(before)).toEqual(sent);
  await expect(bob.getByText("Connection lost. Reconnecting…")).toHaveCount(0);
  await alice.context().close();
  await bob.context().close();
});

test("edit conflict, search jump, admin audit view, logout", async ({ browser }) => {
  const alice = await newUser(browser, "alice");
  await openChannel(alice, "general");
  await post(alice, "general", "original zebra text");
  const mine = alice.getByRole("log").locator("article").filter({ hasText: "original zebra text" });
  await expect(mine).toBeVisible();

  // A second tab of alice edits first; the first tab's edit meets VERSION_CONFLICT.
  const other = await newUser(browser, "alice");
  await openChannel(other, "general");
  await mine.getByRole("button", { name: "Edit" }).click();
  const id = await mine.getAttribute("id");
  const otherMsg = other.locator(`article[id="${id}"]`);
  await otherMsg.getByRole("button", { name: "Edit" }).click();
  await otherMsg.getByLabel("Edit message").fill("edited zebra text");
  await otherMsg.getByRole("button", { name: "Save" }).click();
  await expect(otherMsg.getByText("(edited)")).toBeVisible();
  const editor = alice.getByLabel("Edit message");
  await editor.fill("my competing zebra text");
  await alice.getByRole("button", { name: "Save" }).click();
  await expect(alice.getByRole("alert")).toContainText("Current text: “edited zebra text”");
  await other.context().close();
  await alice.getByRole("button", { name: "Cancel" }).click();
  // ↑ in the empty composer edits the last own message.
  await alice.getByRole("textbox", { name: "Message #general" }).press("ArrowUp");
  await expect(alice.getByLabel("Edit message")).toBeFocused();
  await alice.getByLabel("Edit message").press("Escape");

  // A malformed query is shown with its position marked.
  await alice.getByRole("searchbox", { name: "Search messages" }).fill('"unclosed');
  await alice.getByRole("searchbox", { name: "Search messages" }).press("Enter");
  await expect(alice.getByRole("alert").locator("mark")).toBeVisible();

  // Search, highlighted snippet, jump.
  await alice.getByRole("searchbox", { name: "Search messages" }).fill("zebra");
  await alice.getByRole("searchbox", { name: "Search messages" }).press("Enter");
  const result = alice.getByRole("main").getByRole("link").first();
  await expect(result.locator("mark").first()).toHaveText(/zebra/i);
  await alice.screenshot({ path: `${SHOTS}/search.png` });
  await noSeriousAxe(alice, "search");
  await result.click();
  await expect(alice.locator("article.jumped")).toContainText("zebra");

  // Admin: the audit trail shows the edit with before/after.
  await alice.getByRole("link", { name: "Admin" }).click();
  await expect(alice.getByRole("heading", { name: "Audit log" })).toBeVisible();
  // The user list shows each user's role.
  const users = alice.getByRole("table");
  await expect(users.getByRole("row").filter({ hasText: "bob@acme.example.com" })).toContainText(
    "MEMBER",
  );
  await expect(users.getByRole("row").filter({ hasText: "alice@acme.example.com" })).toContainText(
    "ADMIN",
  );
  const edit = alice.locator("details").filter({ hasText: "message.edit" }).first();
  await edit.locator("summary").click();
  await expect(edit.getByText("edited zebra text")).toBeVisible();
  await alice.screenshot({ path: `${SHOTS}/admin.png`, fullPage: true });
  await noSeriousAxe(alice, "admin");

  await alice.getByRole("button", { name: "Log out" }).click();
  await expect(alice.getByLabel("Email")).toBeVisible();
  await alice.context().close();
});

test("a revoked session returns to the login screen with a message", async ({ browser }) => {
  const first = await newUser(browser, "bob");
  const second = await newUser(browser, "bob");
  // Logging out every session of bob's from the second context revokes the first one's.
  await second.evaluate(async () => {
    const raw = sessionStorage.getItem("workchat.session");
    const token = raw ? (JSON.parse(raw) as { accessToken: string }).accessToken : "";
    await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "mutation { logout(input: { allSessions: true }) { sessionsEnded } }",
      }),
    });
  });
  await expect(first.getByText("Your session has ended. Please log in again.")).toBeVisible({
    timeout: 15_000,
  });
  await expect(first.getByLabel("Email")).toBeVisible();
  await first.context().close();
  await second.context().close();
});

test("GraphiQL is served from the web build, runs a query with the tab's token, loads nothing from another host", async ({
  browser,
  baseURL,
}) => {
  const alice = await newUser(browser, "alice");
  const foreign: string[] = [];
  alice.on("request", (r) => {
    if (!r.url().startsWith(baseURL ?? "") && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  // The app's GraphiQL link opens it in the same tab, with the tab's session token.
  await alice.getByRole("link", { name: "GraphiQL" }).click();
  await expect(alice).toHaveURL(/\/graphql$/);
  const editor = alice.locator(".graphiql-query-editor .CodeMirror");
  await expect(editor).toContainText("Welcome to GraphiQL");
  await expect(alice.getByText("Loading...")).toHaveCount(0);
  await editor.evaluate((el) => {
    (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(
      "{ viewer { email role } }",
    );
  });
  await alice.getByRole("button", { name: /Execute query/ }).click();
  const result = alice.locator(".result-window");
  await expect(result).toContainText('"email": "alice@acme.example.com"');
  await expect(result).toContainText('"role": "ADMIN"');
  await alice.screenshot({ path: `${SHOTS}/graphiql.png` });
  expect(foreign).toEqual([]);
  await alice.context().close();
});

test("the refresh token rotates before the access token expires; the session keeps working", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  await openChannel(alice, "general");
  const refreshToken = () =>
    alice.evaluate(() => {
      const raw = sessionStorage.getItem("workchat.session");
      return raw ? (JSON.parse(raw) as { refreshToken: string }).refreshToken : null;
    });
  const first = await refreshToken();
  // The access token lives 20 s here (global-setup): rotation comes at 80% of that.
  await expect.poll(refreshToken, { timeout: 25_000 }).not.toBe(first);
  await expect.poll(refreshToken, { timeout: 25_000 }).not.toBe(await refreshToken());
  // Two rotations later (past the first token's expiry) posting and live delivery still work.
  await post(alice, "general", "after rotation");
  await expect(bodies(alice).last()).toHaveText("after rotation");
  await expect(alice.getByLabel("Email")).toHaveCount(0);
  await alice.context().close();
});
