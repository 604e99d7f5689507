import { expect, test } from "@playwright/test";

import { ADMIN, apiToken, demoBusinessId, signIn, weekdayAhead } from "./helpers";

// After signing in, `next` may only lead to a page of the console (app/lib/next-path.ts). Each
// of these once led Chromium to another origin: it reads "\" as "/" and drops tabs, so
// "/\evil.example/" and "/<tab>/evil.example/" both mean "//evil.example/".
const payloads = [
  "/%5Cevil.example/",
  "/%09/evil.example/",
  "//evil.example/",
  "/.//evil.example/",
  "https://evil.example/",
];

for (const next of payloads) {
  test(`signing in with next=${next} stays on the console`, async ({ page, baseURL }) => {
    await page.goto(`/login?next=${next}`);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
    const landed = new URL(page.url());
    expect(landed.origin).toBe(new URL(baseURL ?? "").origin);
    expect(landed.pathname).toBe("/businesses");
  });
}

test("a path of the console given as next is where signing in leads", async ({ page }) => {
  await page.goto(`/login?next=${encodeURIComponent("/users?from=next#list")}`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/users\?from=next#list$/);
});

test("a session the API no longer knows leads to signing in and back to the same page", async ({ page, context }) => {
  await signIn(page);
  const token = await apiToken();
  const businessId = await demoBusinessId(token);
  const { hostname } = new URL(page.url());
  // The cookie is there, but its token expired (or was revoked): the API answers 401.
  await context.clearCookies();
  await context.addCookies([{ name: "console_session", value: "expired-token", domain: hostname, path: "/" }]);
  const target = `/businesses/${businessId}/appointments?view=week&date=${weekdayAhead(3)}`;
  await page.goto(target);
  await expect(page).toHaveURL(/\/login\?/);
  const url = new URL(page.url());
  expect(url.searchParams.get("expired")).toBe("1");
  expect(url.searchParams.get("next")).toBe(target);
  await expect(page.getByText("Your session has ended. Please sign in again.")).toBeVisible();
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${target.replace(/[?]/g, "\\?")}$`));
});
