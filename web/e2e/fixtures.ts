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

/** Post through the API as the page's user (fast setup of long channels). */
export async function postViaApi(page: Page, channelId: string, texts: string[]): Promise<void> {
  await page.evaluate(
    async ({ channelId, texts }) => {
      for (const body of texts) {
        const raw = sessionStorage.getItem("workchat.session");
        const token = raw ? (JSON.parse(raw) as { accessToken: string }).accessToken : "";
        const r = await fetch("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: "mutation($i: PostMessageInput!) { postMessage(input: $i) { errors { code } } }",
            variables: { i: { channelId, body } },
          }),
        });
        const json = (await r.json()) as { data?: { postMessage: { errors: unknown[] } } };
        if (!json.data || json.data.postMessage.errors.length > 0)
          throw new Error(`post failed: ${JSON.stringify(json)}`);
      }
    },
    { channelId, texts },
  );
}

/** The open channel's global ID, from the /c/<id> path. */
export function channelIdOf(page: Page): string {
  const m = /\/c\/([^/?]+)/.exec(page.url());
  if (!m?.[1]) throw new Error(`not on a channel page: ${page.url()}`);
  return decodeURIComponent(m[1]);
}
