import { defineConfig } from "@playwright/test";

// Debian's chromium (apt-get install chromium): Playwright cannot download browsers here.
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PORT = Number(process.env.WORKCHAT_E2E_PORT ?? 18650);

export default defineConfig({
  testDir: "e2e",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  workers: 1,
  fullyParallel: false,
  reporter: [["list"]],
  outputDir: "test-results",
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
