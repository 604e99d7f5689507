import { expect, test } from "@playwright/test";

import { api, apiToken, checkAccessibility, customerSays, demoBusinessId, signIn } from "./helpers";

// The business's reminder settings: typed in hours and minutes, refused field by field, saved.
let token: string;
let businessId: number;

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
});

type Reminders = {
  reminders_enabled: boolean;
  reminder_offsets_minutes: number[];
  reminder_quiet_hours: { start: string; end: string } | null;
  reminder_template: { name: string; language: string } | null;
};

test("an owner sets when reminders go, quiet hours and the WhatsApp template", async ({ page }) => {
  await signIn(page);
  await page.goto(`/businesses/${businessId}/settings`);
  const form = page.locator('form[aria-labelledby="reminders-title"]');
  const when = form.getByLabel("When (before the appointment)");
  await expect(when).toHaveValue("24h, 2h");
  await expect(form.getByLabel("Quiet from")).toHaveValue("21:00");

  // Five minutes is too soon: the API names the field, the console says why, nothing is saved.
  await when.fill("24h, 5m");
  await form.getByRole("button", { name: "Save reminders" }).click();
  await expect(when).toHaveAttribute("aria-invalid", "true");
  await expect(
    form.getByRole("alert").filter({ hasText: "Write 1 to 5 different times from 15 minutes to 7 days" }),
  ).toBeVisible();

  await when.fill("2d, 3h");
  await form.getByLabel("Quiet until").fill("08:30");
  await form.getByLabel("WhatsApp template name").fill("appointment_reminder");
  await form.getByLabel("Template language").fill("es");
  await form.getByRole("button", { name: "Save reminders" }).click();
  await expect(when).not.toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Saved.", { exact: true })).toBeVisible();

  const saved = await api<Reminders>(token, "GET", `/businesses/${businessId}`);
  expect(saved).toMatchObject({
    reminders_enabled: true,
    reminder_offsets_minutes: [2880, 180],
    reminder_quiet_hours: { start: "21:00", end: "08:30" },
    reminder_template: { name: "appointment_reminder", language: "es" },
  });

  // Back to the defaults for the tests after this one.
  await api(token, "PATCH", `/businesses/${businessId}`, {
    reminder_offsets_minutes: [1440, 120],
    reminder_quiet_hours: { start: "21:00", end: "09:00" },
    reminder_template: null,
  });
});

test("reminder times the API refuses are explained in Spanish", async ({ page }) => {
  const before = await api<Reminders>(token, "GET", `/businesses/${businessId}`);
  await signIn(page);
  await page.goto(`/businesses/${businessId}/settings`);
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await page.waitForLoadState("networkidle"); // the form is live: nothing typed is lost
  const form = page.locator('form[aria-labelledby="reminders-title"]');
  const when = form.getByLabel("Cuándo (antes de la cita)");
  await when.fill("24h, 5m");
  await form.getByRole("button", { name: "Guardar recordatorios" }).click();
  await expect(when).toHaveAttribute("aria-invalid", "true");
  await expect(
    form
      .getByRole("alert")
      .filter({ hasText: "Escribe de 1 a 5 momentos distintos, entre 15 minutos y 7 días antes de la cita" }),
  ).toBeVisible();
  await expect(form.getByText("No se ha guardado nada: corrige los campos marcados.")).toBeVisible();
  expect((await form.getByRole("alert").allInnerTexts()).join(" | ")).not.toMatch(/must be|integers/);
  expect((await api<Reminders>(token, "GET", `/businesses/${businessId}`)).reminder_offsets_minutes).toEqual(
    before.reminder_offsets_minutes,
  );
});

test("equal quiet hours and a template name WhatsApp would refuse are explained in words", async ({ page }) => {
  const before = await api<Reminders>(token, "GET", `/businesses/${businessId}`);
  await signIn(page);
  await page.goto(`/businesses/${businessId}/settings`);
  await page.waitForLoadState("networkidle"); // the form is live: nothing typed is lost
  const form = page.locator('form[aria-labelledby="reminders-title"]');
  const until = form.getByLabel("Quiet until");
  const name = form.getByLabel("WhatsApp template name");
  const language = form.getByLabel("Template language");
  await until.fill("21:00"); // the same as "Quiet from"
  await name.fill("Appointment reminder");
  await language.fill("Spanish");
  await form.getByRole("button", { name: "Save reminders" }).click();
  await expect(
    form.getByRole("alert").filter({ hasText: "Quiet hours must start and end at different times." }),
  ).toBeVisible();
  await expect(
    form.getByRole("alert").filter({ hasText: "Lower-case letters, digits and _ only, as in WhatsApp Manager" }),
  ).toBeVisible();
  await expect(form.getByRole("alert").filter({ hasText: "A language code such as en or en_US." })).toBeVisible();
  await expect(form.getByText("Nothing was saved: fix the highlighted fields.")).toBeVisible();
  await expect(until).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(language).toHaveAttribute("aria-invalid", "true");
  expect((await form.getByRole("alert").allInnerTexts()).join(" | ")).not.toMatch(/[{}"]|must be null/);
  expect(await api<Reminders>(token, "GET", `/businesses/${businessId}`)).toMatchObject({
    reminder_quiet_hours: before.reminder_quiet_hours,
    reminder_template: before.reminder_template,
  });

  // A name without a language is not a template either.
  await until.fill("08:00");
  await name.fill("appointment_reminder");
  await language.fill("");
  await form.getByRole("button", { name: "Save reminders" }).click();
  await expect(form.getByRole("alert").filter({ hasText: "A language code such as en or en_US." })).toBeVisible();
  await expect(until).not.toHaveAttribute("aria-invalid", "true");
  await expect(name).not.toHaveAttribute("aria-invalid", "true");
  await checkAccessibility(page);
});

test("staff turn reminders off for one customer from the conversation", async ({ page }) => {
  await customerSays("34611999000", "Rosa Vidal", "hola");
  const list = await api<{ conversations: { id: number }[] }>(
    token,
    "GET",
    `/businesses/${businessId}/conversations?q=Rosa%20Vidal`,
  );
  const [found] = list.conversations;
  expect(found, "the customer's conversation").toBeDefined();
  const customerId = found!.id;
  await signIn(page);
  await page.goto(`/businesses/${businessId}/conversations/${customerId}`);
  await page.getByRole("button", { name: "Turn reminders off" }).click();
  await expect(page.getByRole("button", { name: "Reminders off: turn on" })).toBeVisible();
  const thread = await api<{ customer: { reminders_off: boolean } }>(
    token,
    "GET",
    `/businesses/${businessId}/conversations/${customerId}`,
  );
  expect(thread.customer.reminders_off).toBe(true);
});
