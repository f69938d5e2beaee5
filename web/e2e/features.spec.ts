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
  await post(alice, "general", "react to me by name");
  const mine = alice.getByRole("log").locator("article").filter({ hasText: "react to me by name" });
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
