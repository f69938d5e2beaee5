import { expect, test } from "@playwright/test";
import { bodies, channelIdOf, newUser, openChannel, post, postViaApi } from "./fixtures";

test("a long channel is windowed: few rows in the DOM, older pages load upward, new ones anchor", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  await alice.getByRole("button", { name: "Create channel" }).click();
  await alice.getByLabel("Channel name").fill("bulk");
  await alice.getByRole("button", { name: "Create", exact: true }).click();
  await expect(alice.getByRole("textbox", { name: "Message #bulk" })).toBeVisible();
  const id = channelIdOf(alice);
  const texts = Array.from({ length: 160 }, (_, i) => `bulk ${i + 1}`);
  await postViaApi(alice, id, texts);

  // Reopen: the newest page (50) is loaded, only the rows near the viewport are rendered.
  await openChannel(alice, "general");
  await openChannel(alice, "bulk");
  await expect(bodies(alice).last()).toHaveText("bulk 160");
  await expect(bodies(alice).last()).toBeInViewport();
  const rendered = await bodies(alice).count();
  expect(rendered).toBeGreaterThan(0);
  expect(rendered).toBeLessThan(40);

  // Scrolling up pages back (last/before) until the first message; the DOM stays small.
  const log = alice.getByRole("log");
  // Rows are in order with no duplicates or gaps.
  await expect(async () => {
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    const top = await bodies(alice).allTextContents();
    expect(top[0]).toBe("bulk 1");
    expect(top).toEqual(texts.slice(0, top.length));
  }).toPass({ timeout: 20_000 });
  expect(await bodies(alice).count()).toBeLessThan(40);

  // Back at the bottom, a new message keeps the view anchored to the newest.
  await log.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(bodies(alice).last()).toHaveText("bulk 160");
  await post(alice, "bulk", "the newest one");
  await expect(bodies(alice).last()).toHaveText("the newest one");
  await expect(bodies(alice).last()).toBeInViewport();
  await alice.context().close();
});
