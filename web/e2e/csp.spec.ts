import { expect, test } from "@playwright/test";
import { PASSWORD, USERS, bodies, openChannel, post } from "./fixtures";

test("the app works under the content security policy it is served with: no violations", async ({
  page,
}) => {
  // Collect violations from the first script on (the live WebSocket, styles, images, fonts).
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) => {
      seen.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const sockets: string[] = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  const response = await page.goto("/");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("connect-src");
  await page.getByLabel("Email").fill(USERS.alice.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await openChannel(page, "general");
  // The channel's live subscription runs over the WebSocket (connect-src).
  await post(page, "general", "under the policy");
  await expect(bodies(page).last()).toHaveText("under the policy");
  expect(sockets.some((u) => u.endsWith("/graphql"))).toBe(true);
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const violations = await page.evaluate(
    () => (window as unknown as { cspViolations: string[] }).cspViolations,
  );
  expect(violations).toEqual([]);
});
