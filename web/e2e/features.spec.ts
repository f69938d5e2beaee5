import { expect, test } from "@playwright/test";
import { bodies, newUser, openChannel, post } from "./fixtures";

test("a New messages divider sits before the first unread message; opening marks read", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  const bob = await newUser(browser, "bob");
  await openChannel(bob, "general");
  await openChannel(alice, "general");
  await post(alice, "general", "already read by bob");
  await expect(bodies(bob).last()).toHaveText("already read by bob");
  // Bob goes elsewhere; two messages arrive unread.
  await bob.goto("/");
  await expect(bob.getByRole("navigation", { name: "Channels" })).toBeVisible();
  await post(alice, "general", "unread one");
  await expect(bodies(alice).last()).toHaveText("unread one");
  await post(alice, "general", "unread two");
  await expect(bodies(alice).last()).toHaveText("unread two");
  await expect(bob.getByTestId("unread-general")).toHaveText(/2/);

  await openChannel(bob, "general");
  const divider = bob.getByRole("log").getByRole("heading", { name: "New messages" });
  await expect(divider).toBeVisible();
  // The row right after the divider is the first unread message.
  const next = await divider.evaluate(
    (el) => el.closest(".row")?.nextElementSibling?.querySelector(".body")?.textContent ?? null,
  );
  expect(next).toBe("unread one");
  // Seen at the bottom: the channel is marked read (the badge goes away).
  await expect(bob.getByTestId("unread-general")).toHaveCount(0);
  // Opened again after reading: no divider any more.
  await bob.goto("/");
  await openChannel(bob, "general");
  await expect(bodies(bob).last()).toHaveText("unread two");
  await expect(bob.getByRole("log").getByRole("heading", { name: "New messages" })).toHaveCount(0);
  await alice.context().close();
  await bob.context().close();
});

test("typing :short_name: in the reaction picker adds the emoji; typing it again removes it", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  await openChannel(alice, "general");
  const text = `react to me by name ${crypto.randomUUID().slice(0, 8)}`;
  await post(alice, "general", text);
  const mine = alice.getByRole("log").locator("article").filter({ hasText: text });
  await expect(mine).toBeVisible();
  await mine.getByRole("button", { name: "Add reaction" }).click();
  const byName = mine.getByLabel("Reaction by :short_name:");
  await byName.fill(":no_such_emoji:");
  await byName.press("Enter");
  await expect(mine.getByRole("alert")).toHaveText("Unknown short name");
  await byName.fill(":tada:");
  await byName.press("Enter");
  const tada = mine.getByRole("button", { name: "🎉 1" });
  await expect(tada).toHaveAttribute("aria-pressed", "true");
  // The same name again toggles it off.
  await mine.getByRole("button", { name: "Add reaction" }).click();
  await mine.getByLabel("Reaction by :short_name:").fill(":tada:");
  await mine.getByLabel("Reaction by :short_name:").press("Enter");
  await expect(mine.getByRole("button", { name: /🎉/ })).toHaveCount(0);
  await alice.context().close();
});

test("admin audit view: filter by actor and dates; new entries arrive live", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  await alice.getByRole("link", { name: "Admin" }).click();
  await expect(alice.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await alice.getByLabel("Actor").selectOption({ label: "Bob" });
  const audit = alice.locator("ol.audit > li");
  const edits = audit.filter({ hasText: "message.edit" });
  // Wait for the filtered page: loaded, and nothing but Bob's entries.
  await expect(alice.locator("ol.audit")).toHaveAttribute("aria-busy", "false");
  await expect(audit.filter({ hasNotText: "by Bob" })).toHaveCount(0);
  const editsBefore = await edits.count();

  // Bob edits a message elsewhere: the entry appears without reloading, by Bob.
  const bob = await newUser(browser, "bob");
  await openChannel(bob, "general");
  await post(bob, "general", "bob audited text");
  await expect(bodies(bob).last()).toHaveText("bob audited text");
  await bob.getByRole("textbox", { name: "Message #general" }).press("ArrowUp");
  await bob.getByLabel("Edit message").fill("bob audited text, edited live");
  await bob.getByLabel("Edit message").press("Enter");
  await expect(edits).toHaveCount(editsBefore + 1, { timeout: 5_000 });
  // Newest first: the new entry is on top.
  const live = edits.first();
  await expect(live).toContainText("by Bob");
  await live.locator("summary").click();
  await expect(live.getByText("bob audited text, edited live")).toBeVisible();
  // Every listed entry is Bob's.
  const summaries = await audit.locator("summary").allTextContents();
  expect(summaries.length).toBeGreaterThan(0);
  for (const s of summaries) expect(s).toContain("by Bob");

  // A date range in the future lists nothing; clearing the filters lists others' entries again.
  await alice.getByLabel("From").fill("2999-01-01");
  await expect(alice.getByText("No entries match.")).toBeVisible();
  await expect(audit).toHaveCount(0);
  await alice.getByRole("button", { name: "Clear filters" }).click();
  await expect(audit.filter({ hasNotText: "by Bob" }).first()).toBeVisible();
  await alice.context().close();
  await bob.context().close();
});

test("closing the thread pane returns focus to the message that opened it", async ({ browser }) => {
  const alice = await newUser(browser, "alice");
  await openChannel(alice, "general");
  const text = `thread focus root ${crypto.randomUUID().slice(0, 8)}`;
  await post(alice, "general", text);
  await post(alice, "general", "a later message");
  await expect(bodies(alice).last()).toHaveText("a later message");
  const root = alice.getByRole("log").locator("article").filter({ hasText: text });
  await root.getByRole("button", { name: "Reply in thread" }).click();
  const thread = alice.getByRole("complementary", { name: "Thread" });
  await expect(thread.getByRole("heading", { name: "Thread" })).toBeFocused();
  await thread.getByRole("button", { name: "Close thread" }).click();
  await expect(thread).toHaveCount(0);
  await expect(root.getByRole("button", { name: "Reply in thread" })).toBeFocused();
  await alice.context().close();
});
