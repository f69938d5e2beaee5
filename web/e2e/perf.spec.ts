import { expect, test } from "@playwright/test";

// A figure, not a timed test: run by hand against a server seeded with a big channel, e.g.
//   workchat seed --messages 10000 --channels 1 --users 2 --orgs 1; workchat serve --port P
//   WORKCHAT_PERF_URL=http://127.0.0.1:P npx playwright test e2e/perf.spec.ts
const url = process.env.WORKCHAT_PERF_URL;
test.skip(!url, "set WORKCHAT_PERF_URL to a seeded server");

test("first channel render after login against a seeded channel", async ({ page }) => {
  await page.goto(`${url}/`);
  await page.getByLabel("Email").fill(process.env.WORKCHAT_PERF_EMAIL ?? "user0@org0.example.com");
  await page
    .getByLabel("Password")
    .fill(process.env.WORKCHAT_PERF_PASSWORD ?? "workchat-seed-password");
  await page.getByRole("button", { name: "Log in" }).click();
  const nav = page.getByRole("navigation", { name: "Channels" });
  const links = nav.getByRole("link");
  await expect(links.first()).toBeVisible();
  const names = await links.allTextContents();
  const target =
    process.env.WORKCHAT_PERF_CHANNEL ??
    names.find((n) => !n.endsWith("general")) ??
    names[0] ??
    "";
  const started = Date.now();
  await nav.getByRole("link", { name: target.replace(/^#/, ""), exact: true }).click();
  await expect(page.getByRole("log").locator("article").first()).toBeVisible();
  const elapsed = Date.now() - started;
  const shown = await page.getByRole("log").locator("article").count();
  console.log(`first render of ${target}: ${elapsed} ms, ${shown} messages shown`);
  // Scroll to the top a few times: older pages load with last/before.
  for (let i = 0; i < 3; i++) {
    await page.getByRole("log").evaluate((el) => {
      el.scrollTop = 0;
    });
    await expect(page.getByRole("log").locator("article")).not.toHaveCount(shown + i * 50, {
      timeout: 5_000,
    });
  }
  console.log(
    `after scrolling up 3 times: ${await page.getByRole("log").locator("article").count()} messages`,
  );
  await page.screenshot({ path: "test-results/screens/big-channel.png" });
});
