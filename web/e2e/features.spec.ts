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
