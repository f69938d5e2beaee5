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
  const log = page.getByRole("log");
  const shown = await log.locator("article").count();
  console.log(`first render of ${target}: ${elapsed} ms, ${shown} message rows in the DOM`);
  // Scroll to the top 20 times: each loads an older page (last/before); the list is windowed,
  // so the DOM keeps only the rows near the viewport however much history is loaded.
  const pages = Number(process.env.WORKCHAT_PERF_PAGES ?? 20);
  const scrollStarted = Date.now();
  for (let i = 0; i < pages; i++) {
    const height = await log.evaluate((el) => el.scrollHeight);
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await expect
      .poll(() => log.evaluate((el) => el.scrollHeight), { timeout: 10_000 })
      .toBeGreaterThan(height);
  }
  const scrolled = Date.now() - scrollStarted;
  const rows = await log.locator("article").count();
  const height = await log.evaluate((el) => el.scrollHeight);
  console.log(
    `${pages} older pages in ${scrolled} ms; ${rows} message rows in the DOM; list ${height} px tall`,
  );
  expect(rows).toBeLessThan(60);
  await page.screenshot({ path: "test-results/screens/big-channel.png" });
});
