import { execFileSync } from "node:child_process";

import { expect, test } from "@playwright/test";

import { api, apiToken, checkLayoutAndLabels, demoBusinessId, shot, signIn } from "./helpers";

// The reference document (import from the salon's website in e2e/site/, edit, conflicts, the bot's
// answer from it) and the model budget (the 80% warning, the usage page).
test.describe.configure({ mode: "serial" });

const SITE = process.env.E2E_SITE_URL ?? "";
const PARKING = "Free parking is available in the Plaza Mayor garage behind the salon.";

let token: string;
let businessId: number;

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
});

const biz = (suffix = "") => `/businesses/${businessId}${suffix}`;

/** Run one SQL statement on the browser tests' database, `params` (integers) for its %s. */
function execute(statement: string, ...params: number[]) {
  const python = process.env.E2E_PYTHON;
  const url = process.env.E2E_DATABASE_URL;
  if (!python || !url) throw new Error("E2E_PYTHON and E2E_DATABASE_URL are set by scripts/ci.sh");
  const run =
    "import sys, psycopg\n" +
    "with psycopg.connect(sys.argv[1]) as c:\n" +
    "    c.execute(sys.argv[2], [int(p) for p in sys.argv[3:]])\n";
  execFileSync(python, ["-c", run, url, statement, ...params.map(String)]);
}

/** Model usage as a turn of today would have stored it (the browser tests run the offline model). */
function recordUsage(prompt: number, completion: number) {
  execute(
    "INSERT INTO model_usage (business_id, purpose, model, prompt_tokens, completion_tokens)" +
      " VALUES (%s, 'turn', 'gpt-4o-mini', %s, %s)",
    businessId,
    prompt,
    completion,
  );
}

test("import the salon's website, see its conflicts, edit it; the bot answers from it", async ({ page }) => {
  expect(SITE, "scripts/ci.sh serves e2e/site and sets E2E_SITE_URL").not.toBe("");
  await signIn(page);
  await page.goto(biz("/knowledge"));
  await expect(page.getByTestId("versions")).toBeEmpty();

  await page.getByLabel("The business's own website").fill(SITE);
  await page.getByRole("button", { name: "Import from website" }).click();
  await expect(page.getByText("Imported as a new version.")).toBeVisible({ timeout: 60_000 });
  const document = page.getByLabel("What the bot may tell customers beyond the settings");
  await expect(document).toHaveValue(new RegExp(PARKING));
  await expect(document).not.toHaveValue(/STAFF ONLY/); // disallowed by robots.txt
  // Whatever the hours are by now (another test edits them), the site's Saturday differs.
  await expect(page.getByTestId("conflicts")).toContainText(/Saturday hours: settings .+, document 10:00–15:00/);
  const report = page.getByRole("region", { name: "Last import" });
  await expect(report).toContainText("3 pages read");
  await expect(report).toContainText("The website's robots.txt does not allow importing it.");
  await expect(report).toContainText("The website answered with an error instead of the page.");
  await expect(report.getByText("HTTP 404")).toBeVisible(); // the API's words beside the reason
  await expect(page.getByTestId("versions")).toContainText("Version 1");

  // The owner's edit is a new version; the first stays readable.
  const edited = `${await document.inputValue()}\n\n## Accessibility\n- Step-free entrance on Calle Mayor.`;
  await document.fill(edited);
  await page.getByRole("button", { name: "Save as new version" }).click();
  await expect(page.getByText("Saved as a new version.")).toBeVisible();
  await expect(page.getByTestId("versions").getByRole("link")).toHaveText(["Version 2", "Version 1"]);
  await page.getByRole("link", { name: "Version 1" }).click();
  await expect(page.getByText("An earlier version, for reading.")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await expect(page.getByLabel("Reference document text")).not.toContainText("Step-free entrance");
  await shot(page, "knowledge-old-version");

  // The bot (the offline model here) answers from the document, and says when it does not know.
  await page.goto(biz());
  const sandbox = page.getByTestId("sandbox-thread");
  await page.getByLabel("Message to the bot").fill("do you have parking?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sandbox.getByTestId("bubble-out").last()).toContainText(PARKING, { timeout: 30_000 });
  await page.getByLabel("Message to the bot").fill("do you sell gift cards?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sandbox.getByTestId("bubble-out").last()).toContainText("I can ask the team to reply to you here");
  await page.getByRole("button", { name: "Reset chat" }).click();

  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(biz("/knowledge"));
    await page.waitForLoadState("networkidle");
    await expect(page.getByRole("heading", { name: "Versions" })).toBeVisible();
    await checkLayoutAndLabels(page);
    await shot(page, "knowledge");
  }
});

test("usage: a superadmin sets the budget, the console warns from 80%", async ({ page }) => {
  recordUsage(8000, 500);
  await signIn(page);
  await page.goto(biz("/usage"));
  // Numbers in the business's locale: a Madrid business groups thousands with a point.
  await expect(page.getByTestId("tokens-this-month")).toHaveText("8.500");
  await expect(page.getByTestId("budget-warning")).toHaveCount(0);

  await page.getByLabel("Tokens per month").fill("10000");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByText("Budget saved.")).toBeVisible();
  await page.reload();
  const warning = page.getByTestId("budget-warning");
  await expect(warning).toContainText("85% of this month's model budget is used (8.500 of 10.000 tokens).");
  await expect(page.getByRole("table")).toContainText("gpt-4o-mini");
  await page.goto(biz("/appointments"));
  await expect(warning).toBeVisible(); // on every page of the business
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(biz("/usage"));
    await page.waitForLoadState("networkidle");
    await expect(page.getByRole("heading", { name: "By month" })).toBeVisible();
    await checkLayoutAndLabels(page);
    await shot(page, "usage");
  }

  // Unlimited again, so the browser tests after this one are not over budget.
  await page.getByLabel("Tokens per month").fill("");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByText("The budget is now unlimited.")).toBeVisible();
  const business = await api<{ monthly_token_budget: number | null }>(token, "GET", `/businesses/${businessId}`);
  expect(business.monthly_token_budget).toBeNull();
});

test("an address the import refuses, and a page it cannot read, are explained in Spanish", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/knowledge"));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await page.waitForLoadState("networkidle"); // the form is live: nothing typed is lost
  const form = page.locator('form[aria-labelledby="import-title"]');
  const site = form.getByLabel("La web del propio negocio");

  await site.fill("http://127.0.0.1:9/"); // this machine: refused before anything is fetched (400)
  await form.getByRole("button", { name: "Importar desde la web" }).click();
  await expect(site).toHaveAttribute("aria-invalid", "true");
  await expect(
    form.getByRole("alert").filter({ hasText: "Esa dirección está en este servidor o en una red privada" }),
  ).toBeVisible();

  await site.fill(`${SITE}no-such-page.html`); // the salon's site answers 404 (422)
  await form.getByRole("button", { name: "Importar desde la web" }).click();
  await expect(
    form.getByRole("alert").filter({ hasText: "La web respondió con un error en lugar de la página" }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(site).not.toHaveAttribute("aria-invalid", "true");
  expect((await form.getByRole("alert").allInnerTexts()).join(" | ")).not.toMatch(/cannot|could not|resolves/);
});

test("a skipped page's reason is said in Spanish; an older report's in the API's English", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/knowledge?version=1")); // the first test's import
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const report = page.getByRole("region", { name: "Última importación" });
  await expect(report).toContainText("3 páginas leídas");
  await expect(report).toContainText("El robots.txt de la web no permite importarla.");
  await expect(report).toContainText("La web respondió con un error en lugar de la página.");
  await expect(report.getByText("HTTP 404")).toHaveAttribute("lang", "en"); // the API's detail
  await expect(report).not.toContainText("disallowed by robots.txt");

  // The same report as it was stored before skipped pages had codes: the API's English words.
  execute(
    "UPDATE reference_documents SET report = (report - 'stopped_code') || jsonb_build_object('skipped'," +
      " (SELECT jsonb_agg(s - 'code') FROM jsonb_array_elements(report -> 'skipped') s))" +
      " WHERE business_id = %s AND version = 1",
    businessId,
  );
  await page.reload();
  await expect(report).toContainText("3 páginas leídas");
  await expect(report.getByText("disallowed by robots.txt")).toHaveAttribute("lang", "en");
  await expect(report.getByText("HTTP 404")).toBeVisible();
  await expect(report).not.toContainText("El robots.txt de la web no permite importarla.");
});
