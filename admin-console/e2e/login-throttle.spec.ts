import { expect, test } from "@playwright/test";

// Runs after every other browser test (its own project in playwright.config.ts): it uses up the
// per-address budget of failed logins (ADMIN_LOGIN_MAX_FAILURES_PER_IP, 20 by default) of the
// address all these browsers share, so no sign-in from it would work for the next 15 minutes.
const ATTEMPTS = 25;
const LIMIT = 20;
const WRONG = "Wrong email or password.";
const TOO_MANY = "Too many failed attempts. Wait a few minutes and try again.";

test("a made-up X-Forwarded-For per attempt does not escape the per-address login limit", async ({ page }) => {
  const answers: string[] = [];
  for (let i = 1; i <= ATTEMPTS; i++) {
    // A different forged address every time, and a different email so the per-account limit
    // (5) never applies: only the per-address one can stop these.
    await page.setExtraHTTPHeaders({ "X-Forwarded-For": `203.0.113.${i}, 198.51.100.${i}` });
    await page.goto("/login");
    await page.getByLabel("Email").fill(`guess-${i}@throttle.invalid`);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("main").getByRole("alert");
    await expect(alert).toBeVisible();
    const answer = (await alert.textContent()) ?? "";
    expect([WRONG, TOO_MANY]).toContain(answer);
    answers.push(answer);
  }
  // Earlier tests' failed sign-ins count too, so the first refusal comes at attempt LIMIT + 1 or
  // sooner; from then on every attempt is refused.
  const refusedFrom = answers.indexOf(TOO_MANY);
  expect(refusedFrom, answers.join("\n")).toBeGreaterThan(0);
  expect(refusedFrom).toBeLessThanOrEqual(LIMIT);
  expect(answers).toEqual([
    ...Array<string>(refusedFrom).fill(WRONG),
    ...Array<string>(ATTEMPTS - refusedFrom).fill(TOO_MANY),
  ]);
});
