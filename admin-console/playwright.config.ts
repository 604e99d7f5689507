import { defineConfig } from "@playwright/test";

// Browser tests against the built console (`next start`) and the real Flask API; scripts/ci.sh
// starts both and sets CONSOLE_URL and ADMIN_API_URL. The browser is the system's Chromium.
export default defineConfig({
  testDir: "e2e",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [["list"]],
  outputDir: "test-results",
  projects: [
    { name: "console", testIgnore: /login-throttle\.spec\.ts$/ },
    // Uses up the failed-login budget of the address every browser here shares: after the rest.
    { name: "login-throttle", testMatch: /login-throttle\.spec\.ts$/, dependencies: ["console"] },
  ],
  use: {
    baseURL: process.env.CONSOLE_URL ?? "http://127.0.0.1:3000",
    browserName: "chromium",
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
