import { expect, test } from "@playwright/test";

import { ADMIN } from "./helpers";

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
