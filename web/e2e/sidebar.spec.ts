import { type Page, expect, test } from "@playwright/test";
import { SHOTS, bodies, channelIdOf, newUser, openChannel, post } from "./fixtures";

async function createChannel(page: Page, name: string, isPrivate = false): Promise<string> {
  await page.getByRole("button", { name: "Create channel" }).click();
  await page.getByLabel("Channel name").fill(name);
  if (isPrivate) await page.getByLabel("Private").check();
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByRole("textbox", { name: `Message #${name}` })).toBeVisible();
  return channelIdOf(page);
}

async function joinChannel(page: Page, name: string): Promise<void> {
  await page.getByRole("button", { name: "Browse channels" }).click();
  await page.getByRole("button", { name: `Join ${name}` }).click();
  await expect(page.getByRole("textbox", { name: `Message #${name}` })).toBeVisible();
}

function sidebarItem(page: Page, name: string) {
  return page
    .getByRole("navigation", { name: "Channels" })
    .getByRole("listitem")
    .filter({ has: page.getByRole("link", { name, exact: true }) });
}

test("private channels stay out of others' browse list; the mention badge is live; edits and confirmed deletes reach others live", async ({
  browser,
}) => {
  const tag = crypto.randomUUID().slice(0, 6);
  const alice = await newUser(browser, "alice");
  const secret = `secret-${tag}`;
  await createChannel(alice, secret, true);
  const open = `open-${tag}`;
  await createChannel(alice, open);

  // Bob can browse to the public channel, never to the private one.
  const bob = await newUser(browser, "bob");
  await bob.getByRole("button", { name: "Browse channels" }).click();
  const browse = bob.getByRole("region", { name: "Browse channels" });
  await expect(browse.getByRole("button", { name: `Join ${open}` })).toBeVisible();
  await expect(browse.getByRole("button", { name: `Join ${secret}` })).toHaveCount(0);
  await bob.getByRole("button", { name: "Browse channels" }).click();
  await joinChannel(bob, open);

  // Bob is elsewhere: alice's @mention shows as a mention badge, live, besides the unread one.
  await bob.goto("/");
  await expect(bob.getByRole("navigation", { name: "Channels" })).toBeVisible();
  await openChannel(alice, open);
  await post(alice, open, "@Bob please look at this");
  const item = sidebarItem(bob, open);
  await expect(item.locator(".badge.mention")).toHaveText("@1 mentions", { timeout: 2_000 });
  await expect(bob.getByTestId(`unread-${open}`)).toHaveText(/1/);
  await bob.screenshot({ path: `${SHOTS}/mention-badge.png` });
  // Reading the channel clears both badges.
  await openChannel(bob, open);
  await expect(bodies(bob).last()).toHaveText("@Bob please look at this");
  await expect(item.locator(".badge")).toHaveCount(0);

  // Alice edits: bob sees the new text and the edited marker without reloading.
  const mine = alice.getByRole("log").locator("article").filter({ hasText: "please look" });
  await mine.getByRole("button", { name: "Edit" }).click();
  await mine.getByLabel("Edit message").fill("@Bob please look at this, edited");
  await mine.getByRole("button", { name: "Save" }).click();
  const bobsCopy = bob.getByRole("log").locator("article").last();
  await expect(bobsCopy.locator(".body")).toHaveText("@Bob please look at this, edited", {
    timeout: 2_000,
  });
  await expect(bobsCopy.getByText("(edited)")).toBeVisible();

  // Delete asks first: dismissed, nothing happens; confirmed, bob sees it deleted live.
  const asked: string[] = [];
  alice.once("dialog", (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await mine.getByRole("button", { name: "Delete" }).click();
  expect(asked).toEqual(["Delete this message?"]);
  await expect(mine.locator(".body")).toHaveText("@Bob please look at this, edited");
  alice.once("dialog", (d) => void d.accept());
  await alice
    .getByRole("log")
    .locator("article")
    .last()
    .getByRole("button", { name: "Delete" })
    .click();
  await expect(bobsCopy.getByText("This message was deleted.")).toBeVisible({ timeout: 2_000 });
  await expect(alice.getByRole("log").locator("article").last()).toContainText(
    "This message was deleted.",
  );
  await alice.context().close();
  await bob.context().close();
});

test("a channel archived while open turns read-only live: no composer, no message actions", async ({
  browser,
}) => {
  const tag = crypto.randomUUID().slice(0, 6);
  const alice = await newUser(browser, "alice");
  const name = `archive-${tag}`;
  const id = await createChannel(alice, name);
  await post(alice, name, "before the archive");
  await expect(bodies(alice).last()).toHaveText("before the archive");
  const bob = await newUser(browser, "bob");
  await joinChannel(bob, name);
  await expect(bodies(bob).last()).toHaveText("before the archive");
  await expect(
    bob.getByRole("log").locator("article").last().getByRole("button", { name: "Add reaction" }),
  ).toBeVisible();

  // Alice (an admin) archives it through the API; bob's open pane follows channelEvents.
  const errors = await alice.evaluate(async (channelId) => {
    const raw = sessionStorage.getItem("workchat.session");
    const token = raw ? (JSON.parse(raw) as { accessToken: string }).accessToken : "";
    const r = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          "mutation($i: ArchiveChannelInput!) { archiveChannel(input: $i) { errors { code } } }",
        variables: { i: { channelId } },
      }),
    });
    return ((await r.json()) as { data: { archiveChannel: { errors: unknown[] } } }).data
      .archiveChannel.errors;
  }, id);
  expect(errors).toEqual([]);
  await expect(bob.getByText("This channel is archived: it is read-only.")).toBeVisible({
    timeout: 2_000,
  });
  await expect(bob.getByRole("heading", { name: /archived \(read-only\)/ })).toBeVisible();
  await expect(bob.getByRole("textbox", { name: `Message #${name}` })).toHaveCount(0);
  const last = bob.getByRole("log").locator("article").last();
  await expect(last.locator(".body")).toHaveText("before the archive");
  await expect(last.getByRole("button", { name: "Add reaction" })).toHaveCount(0);
  await bob.screenshot({ path: `${SHOTS}/archived.png` });
  // Opened afresh, the channel is still read-only and the sidebar marks it archived.
  await bob.goto("/");
  await expect(sidebarItem(bob, name).getByText("archived")).toBeVisible();
  await openChannelReadOnly(bob, name);
  await alice.context().close();
  await bob.context().close();
});

async function openChannelReadOnly(page: Page, name: string): Promise<void> {
  await page
    .getByRole("navigation", { name: "Channels" })
    .getByRole("link", { name, exact: true })
    .click();
  await expect(page.getByText("This channel is archived: it is read-only.")).toBeVisible();
  await expect(page.getByRole("textbox", { name: `Message #${name}` })).toHaveCount(0);
}
