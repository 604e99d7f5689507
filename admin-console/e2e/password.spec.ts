import { expect, test } from "@playwright/test";

import { api, apiToken, checkAccessibility, claimAccount, demoBusinessId, shot, signIn } from "./helpers";

// An owner adds someone new to the team and is shown a one-time password; that person signs in
// with it and can do nothing but choose their own password, then reaches the console.
const stamp = Date.now();
const owner = { email: `pw.owner.${stamp}@example.com`, password: "pw-owner-password-1" };
const newcomer = { email: `pw.new.${stamp}@example.com`, chosen: "quartz lantern meadow 57" };
let token: string;
let businessId: number;
const ids: number[] = [];

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
  const added = await api<{ user: { id: number } }>(token, "POST", `/businesses/${businessId}/staff`, {
    ...owner,
    role: "owner",
  });
  ids.push(added.user.id);
  await claimAccount(owner.email, owner.password);
});

test.afterAll(async () => {
  // The team the other tests see is left as it was.
  for (const id of ids) await api(token, "DELETE", `/businesses/${businessId}/staff/${id}`).catch(() => {});
});

test("a new staff member chooses their own password before anything else", async ({ page, browser }) => {
  const biz = (suffix = "") => `/businesses/${businessId}${suffix}`;
  await signIn(page, owner.email, owner.password);
  await page.goto(biz("/team"));
  await page.getByLabel("Email").fill(newcomer.email);
  await page.getByLabel("Name (optional)").fill("Nia New");
  await page.getByRole("button", { name: "Add staff" }).click();
  const oneTime = (await page.getByTestId("one-time-password").textContent())?.trim() ?? "";
  expect(oneTime.length).toBeGreaterThan(8);
  const { staff } = await api<{ staff: { id: number; email: string }[] }>(
    token,
    "GET",
    `/businesses/${businessId}/staff`,
  );
  ids.push(staff.find((m) => m.email === newcomer.email)?.id ?? 0);

  const context = await browser.newContext();
  const newPage = await context.newPage();
  await signIn(newPage, newcomer.email, oneTime);
  await expect(newPage).toHaveURL(/\/password$/);
  await expect(newPage.getByRole("heading", { name: "Choose your password" })).toBeVisible();
  const nav = newPage.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Businesses" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Change password" })).toBeVisible();
  await checkAccessibility(newPage);
  await shot(newPage, "choose-password");

  // Nothing else opens: any other page leads back here, remembering where it was going.
  await newPage.goto("/users");
  await expect(newPage).toHaveURL(/\/password\?next=%2Fusers$/);
  await newPage.goto(biz("/conversations"));
  await expect(newPage).toHaveURL(/\/password\?next=/);
  await expect(newPage.getByRole("heading", { name: "Choose your password" })).toBeVisible();

  // The API's field errors are shown under their fields.
  await newPage.getByLabel("Current password", { exact: true }).fill("not the password I was given");
  await newPage.getByLabel("New password", { exact: true }).fill(newcomer.chosen);
  await newPage.getByLabel("Confirm the new password").fill(newcomer.chosen);
  await newPage.getByRole("button", { name: "Save the password" }).click();
  await expect(newPage.getByText("That is not your current password.")).toBeVisible();
  // …and the form's own: the confirmation must match.
  await newPage.getByLabel("Current password", { exact: true }).fill(oneTime);
  await newPage.getByLabel("New password", { exact: true }).fill(newcomer.chosen);
  await newPage.getByLabel("Confirm the new password").fill(`${newcomer.chosen}!`);
  await newPage.getByRole("button", { name: "Save the password" }).click();
  await expect(newPage.getByText("The two new passwords differ.")).toBeVisible();

  await newPage.getByLabel("Current password", { exact: true }).fill(oneTime);
  await newPage.getByLabel("New password", { exact: true }).fill(newcomer.chosen);
  await newPage.getByLabel("Confirm the new password").fill(newcomer.chosen);
  await newPage.getByRole("button", { name: "Save the password" }).click();
  // On to the page they were going to, with the business's sections.
  await expect(newPage).toHaveURL(new RegExp(`${biz("/conversations")}$`));
  await expect(newPage.getByRole("navigation", { name: "Business sections" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Businesses" })).toBeVisible();

  // The one-time password the owner saw no longer signs in; theirs does.
  await expect(apiToken(newcomer.email, oneTime)).rejects.toThrow(/401/);
  expect(await apiToken(newcomer.email, newcomer.chosen)).toBeTruthy();

  // Every signed-in user can change it again from the top bar.
  await nav.getByRole("link", { name: "Change password" }).click();
  await expect(newPage.getByRole("heading", { name: "Change password" })).toBeVisible();
  await context.close();
});

test("superadmins see which accounts have not chosen their password yet", async ({ page }) => {
  const waiting = `pw.waiting.${stamp}@example.com`;
  const added = await api<{ user: { id: number } }>(token, "POST", `/businesses/${businessId}/staff`, {
    email: waiting,
    password: "set-by-the-owner-93",
  });
  ids.push(added.user.id);
  await signIn(page);
  await page.goto("/users");
  const row = page.getByRole("row").filter({ hasText: waiting });
  await expect(row.getByText("password not chosen yet")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: owner.email }).getByText("password not chosen yet")).toHaveCount(
    0,
  );
});
