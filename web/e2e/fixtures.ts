import { type Browser, type Page, expect } from "@playwright/test";

export const PASSWORD = "correct horse battery staple";
export const USERS = {
  alice: { email: "alice@acme.example.com", name: "Alice" },
  bob: { email: "bob@acme.example.com", name: "Bob" },
} as const;

export const SHOTS = process.env.WORKCHAT_E2E_SHOTS ?? "test-results/screens";

export async function logIn(page: Page, who: keyof typeof USERS): Promise<void> {
  await page.goto("/");
  await page.getByLabel("Email").fill(USERS[who].email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("navigation", { name: "Channels" })).toBeVisible();
}

export async function newUser(browser: Browser, who: keyof typeof USERS): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, who);
  return page;
}

export async function openChannel(page: Page, name: string): Promise<void> {
  await page
    .getByRole("navigation", { name: "Channels" })
    .getByRole("link", { name, exact: true })
    .click();
  await expect(page.getByRole("textbox", { name: `Message #${name}` })).toBeVisible();
}

export async function post(page: Page, channel: string, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: `Message #${channel}` });
  await box.fill(text);
  await box.press("Enter");
}

/** The channel's messages (bodies) as shown, oldest first. */
export function bodies(page: Page) {
  return page.getByRole("log").locator("article .body");
}
