import { expect, test, type Page } from "@playwright/test";

import {
  api,
  apiToken,
  checkAccessibility,
  checkLayoutAndLabels,
  claimAccount,
  customerSays,
  daysToSunday,
  demoBusinessId,
  madrid,
  pickDateWithKeyboard,
  shot,
  signIn,
  sql,
  waitForReply,
  weekdayAhead,
} from "./helpers";

// The front desk, as a member of staff: book a walk-in, move it, block time, read the week's
// numbers; then the same calendar in Spanish, on a phone and on a desktop.
test.describe.configure({ mode: "serial" });

let token: string;
let businessId: number;
let wandaId = 0;
const day = weekdayAhead(8);
const blockedDay = weekdayAhead(9, [day]);
const staff = { email: `desk.${Date.now()}@example.com`, password: "desk-password-1" };

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
  await api(token, "POST", `/businesses/${businessId}/staff`, { ...staff, name: "Desk", role: "staff" });
  await claimAccount(staff.email, staff.password);
});

const calendar = (date: string, view = "day", extra = "") =>
  `/businesses/${businessId}/appointments?view=${view}&date=${date}${extra}`;

async function openForm(page: Page, summary: string, name: string) {
  await page.locator("summary", { hasText: summary }).click();
  return page.getByRole("form", { name });
}

test("staff book a walk-in: refused when the time is full, accepted at a free time", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(day));
  const form = await openForm(page, "New booking", "Book for a phone or walk-in customer");
  await form.getByLabel("Service").selectOption({ label: "Haircut (30 min)" });
  const time = form.getByLabel("Time");
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "10:00" });
  // Meanwhile both chairs at 10:00 are taken by phone bookings made at another desk.
  for (const name of ["Phone Pablo", "Phone Paula"]) {
    await api(token, "POST", `/businesses/${businessId}/appointments`, {
      service: "Haircut",
      starts_at: madrid(day, "10:00"),
      customer_name: name,
    });
  }
  await form.getByLabel("Customer name").fill("Walk-in Wanda");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(form.getByRole("alert")).toContainText("That time is fully booked.");
  expect(sql("SELECT id FROM customers WHERE profile_name = 'Walk-in Wanda'")).toEqual([]);

  // One of the free times offered instead, as the bot would offer them.
  const alternatives = form.getByTestId("alternatives").getByRole("button");
  await expect(alternatives.first()).toBeVisible();
  await alternatives.first().click();
  const panel = page.getByTestId("appointment-panel");
  await expect(panel).toContainText("Walk-in Wanda");
  await expect(panel).toContainText("by staff");
  const rows = sql<{ id: number; status: string; created_by: string; starts_at: string }>(
    "SELECT a.id, a.status, a.created_by, a.starts_at FROM appointments a" +
      " JOIN customers c ON c.id = a.customer_id WHERE c.profile_name = 'Walk-in Wanda'",
  );
  expect(rows.map((r) => [r.status, r.created_by])).toEqual([["booked", "staff"]]);
  expect(new Date(rows[0]!.starts_at).toISOString()).not.toBe(madrid(day, "10:00"));
  wandaId = rows[0]!.id;
  const audit = sql("SELECT action FROM audit_log WHERE entity = 'appointment' AND entity_id = %s", [String(wandaId)]);
  expect(audit).toEqual([{ action: "book" }]);
  await shot(page, "front-desk-booked");
});

test("staff move the booking: same number, new time, the move in its history", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(day, "day", `&appointment=${wandaId}`));
  const move = page.getByRole("form", { name: "Move to another time" });
  const time = move.getByLabel("When (h)");
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "15:00" });
  await move.getByRole("button", { name: "Move", exact: true }).click();
  await expect(move.getByRole("status")).toHaveText("Moved.");
  const [row] = sql<{ starts_at: string; status: string }>("SELECT starts_at, status FROM appointments WHERE id = %s", [
    wandaId,
  ]);
  expect(new Date(row!.starts_at).toISOString()).toBe(madrid(day, "15:00"));
  await page.reload();
  await expect(page.getByTestId("appointment-history")).toContainText("Moved from");
  await expect(page.getByTestId("appointment-when")).toContainText("15:00");
  const block = page.locator(`[data-testid="cal-appointment"][data-id="${wandaId}"]`);
  await expect(block).toContainText("15:00");
});

test("the history lists the booking before its move, whatever fractions of a second they carry", async ({ page }) => {
  // Booked at 09:00:00 sharp, moved within the same second: the API writes the first instant
  // without fractions ("…T09:00:00+00:00") and the others with them ("…T09:00:00.400000+00:00").
  sql(
    "UPDATE audit_log SET created_at = CASE action WHEN 'book' THEN '2026-03-02 09:00:00+00'::timestamptz" +
      " ELSE '2026-03-02 09:00:00.5+00' END WHERE entity = 'appointment' AND entity_id = %s RETURNING id",
    [String(wandaId)],
  );
  sql("UPDATE appointment_moves SET moved_at = '2026-03-02 09:00:00.4+00' WHERE appointment_id = %s RETURNING id", [
    wandaId,
  ]);
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(day, "day", `&appointment=${wandaId}`));
  await expect(page.getByTestId("appointment-history").getByRole("listitem")).toHaveText([
    /booked by/,
    /Moved from/,
    /moved by/,
  ]);
});

test("blocked time hides its slots from the bot", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(blockedDay));
  const form = await openForm(page, "Block time", "Block time (holiday, absence)");
  await form.getByLabel("Reason").fill("Training day");
  await form.getByRole("button", { name: "Block", exact: true }).click();
  await expect(form.getByRole("status")).toContainText("Blocked. No bookings are inside it.");
  await page.reload();
  await expect(page.getByTestId("calendar-grid").getByTestId("shade-blocked")).toContainText("Training day");

  const free = await api<{ slots: string[] }>(
    token,
    "GET",
    `/businesses/${businessId}/slots?service=Haircut&date=${blockedDay}`,
  );
  expect(free.slots).toEqual([]);
  // A customer asks the bot for a time inside the block: nothing is booked.
  const waId = "34633444555";
  await customerSays(waId, "Bea Blocked", `book a haircut on ${blockedDay} at 10:00`);
  const { out } = await waitForReply(token, businessId, waId, 1);
  expect(out.at(-1)?.body ?? "").not.toContain("Booked");
  const booked = sql(
    "SELECT a.id FROM appointments a JOIN customers c ON c.id = a.customer_id" +
      " WHERE c.address = %s AND a.status = 'booked'",
    [waId],
  );
  expect(booked).toEqual([]);
  await shot(page, "calendar-blocked");
});

test("the overview's numbers match the database", async ({ page }) => {
  await signIn(page);
  await page.goto(`/businesses/${businessId}`);
  const week = "(date_trunc('week', now() AT TIME ZONE 'Europe/Madrid') AT TIME ZONE 'Europe/Madrid')";
  const count = (where: string) =>
    String(
      sql<{ n: number }>(
        "SELECT count(*) AS n FROM appointments a JOIN customers c ON c.id = a.customer_id" +
          ` WHERE a.business_id = %s AND NOT c.sandbox AND ${where}`,
        [businessId],
      )[0]!.n,
    );
  const numbers = page.getByTestId("overview-numbers");
  const tile = (key: string) => numbers.getByTestId(`tile-${key}`).getByTestId("value");
  await expect(tile("bookings")).toHaveText(count(`a.status <> 'held' AND a.created_at >= ${week}`));
  await expect(tile("cancellations")).toHaveText(count(`a.status = 'cancelled' AND a.cancelled_at >= ${week}`));
  const byChannel = numbers.getByTestId("by-channel");
  await expect(byChannel.locator('tr[data-channel="walk_in"] td').first()).toHaveText(
    count(`c.channel = 'walk_in' AND a.status <> 'held' AND a.created_at >= ${week}`),
  );
  await expect(byChannel.locator('tr[data-source="staff"] td').first()).toHaveText(
    count(`a.created_by = 'staff' AND a.status <> 'held' AND a.created_at >= ${week}`),
  );
  expect(Number(await tile("bookings").textContent())).toBeGreaterThanOrEqual(3);
  await checkAccessibility(page);
});

test("the calendar in Spanish, as a week on a desktop and a day list on a phone", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(day, "week"));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(
    page.getByRole("navigation", { name: "Secciones del negocio" }).getByRole("link", { name: "Citas" }),
  ).toBeVisible();
  await expect(page.getByRole("heading", { name: /^Semana del/ })).toBeVisible();
  // Dates in the business's locale (Madrid), not the browser's: day before month.
  const [y, m, d] = day.split("-").map(Number);
  const spanishDate = new Intl.DateTimeFormat("es-ES", {
    timeZone: "UTC",
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(new Date(Date.UTC(y!, m! - 1, d!)));
  await expect(page.getByTestId("date-picker").first()).toContainText(spanishDate);

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width < 500 ? 844 : 900 });
    await page.goto(calendar(day, "week"));
    if (width > 500) {
      await expect(page.getByTestId("calendar-grid")).toBeVisible();
      await expect(page.getByTestId("calendar-list")).toBeHidden();
      // Pablo and Paula side by side at 10:00: each half the day's width (capacity 2).
      const blocks = page.getByTestId("calendar-grid").getByTestId("cal-appointment");
      await expect(blocks.filter({ hasText: "Phone Pablo" })).toBeVisible();
      const a = await blocks.filter({ hasText: "Phone Pablo" }).boundingBox();
      const b = await blocks.filter({ hasText: "Phone Paula" }).boundingBox();
      expect(a && b && Math.abs(a.y - b.y) < 1 && Math.abs(a.x - b.x) > 20).toBe(true);
    } else {
      await expect(page.getByTestId("calendar-grid")).toBeHidden();
      await expect(page.getByTestId("calendar-list")).toBeVisible();
      await expect(page.getByTestId("list-appointment").filter({ hasText: "Walk-in Wanda" })).toBeVisible();
    }
    await checkLayoutAndLabels(page);
    await checkAccessibility(page);
    await shot(page, "calendar-es-week");
    await page.goto(calendar(day, "day", `&appointment=${wandaId}`));
    await expect(page.getByTestId("appointment-panel")).toContainText("Cita n.º");
    await checkLayoutAndLabels(page);
    await checkAccessibility(page);
    await shot(page, "calendar-es-day");
  }
});

// Labels the console shows in English; none may be left on a page once the reader chose Spanish.
// Whole words, case-sensitive; what customers, staff or the bot wrote is not checked (below).
const ENGLISH = [
  "you are",
  "inactive",
  "Overview",
  "Conversations",
  "Appointments",
  "Knowledge",
  "Settings",
  "Usage",
  "Team",
  "Users",
  "Businesses",
  "Sign out",
  "Sign in",
  "Password",
  "Email",
  "Save",
  "Saving",
  "Remove",
  "Delete",
  "Deactivate",
  "Activate",
  "Not allowed",
  "Loading",
  "Try the bot",
  "Reset chat",
  "Setup",
  "Send",
  "Your reply",
  "Send reply",
  "Pause the bot",
  "Resume the bot",
  "Turn reminders off",
  "Export JSON",
  "Erase",
  "All conversations",
  "Reference document",
  "Versions",
  "Import from website",
  "By month",
  "Monthly token budget",
  "Tokens per month",
  "Estimated cost",
  "Opening hours",
  "Closed dates",
  "Minimum notice",
  "Capacity",
  "Profile and personality",
  "Prompt preview",
  "Reminders",
  "Services",
  "Name",
  "Timezone",
  "Language",
  "Status",
  "Person",
  "Role",
  "Access",
  "Add staff",
  "Add a member",
  "Create a user",
  "No messages",
  "Delivered",
  "Customer",
  "Staff",
  "tool call",
  "Monday",
  "Tuesday",
  "Closed",
  "Month",
  "Model",
  "Next 7 days",
  "This week",
  "New booking",
  "Block time",
  "Model providers",
  "Provider",
  "Failures in a row",
  "needs a person",
  "test chat",
  "Previous",
  "Next",
  "Page",
];

async function leftoverEnglish(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const root = document.body.cloneNode(true) as HTMLElement;
    // Not the console's words: scripts, the bot's prompt, the reference document, messages.
    root
      .querySelectorAll('script, style, pre, textarea, [data-testid="prompt-preview"], .bubble .text, .preview')
      .forEach((e) => e.remove());
    return root.textContent ?? "";
  });
  return ENGLISH.filter((word) => new RegExp(`(^|[^\\p{L}])${word}(?![\\p{L}])`, "u").test(text));
}

test("every page in Spanish: no English label left", async ({ page }) => {
  await signIn(page);
  await page.goto(`/businesses/${businessId}`);
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const biz = (suffix = "") => `/businesses/${businessId}${suffix}`;
  const pages = [
    "/businesses",
    biz(),
    biz("/conversations"),
    biz(`/appointments?view=day&date=${day}`),
    biz(`/appointments?view=week&date=${day}`),
    biz(`/appointments?view=day&date=${day}&appointment=${wandaId}`),
    biz("/knowledge"),
    biz("/settings"),
    biz("/usage"),
    biz("/team"),
    "/users",
  ];
  const thread = await page
    .goto(biz("/conversations"))
    .then(() => page.locator(".conv-list a").first().getAttribute("href"));
  if (thread) pages.push(thread);
  for (const path of pages) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    await expect(page.locator("html")).toHaveAttribute("lang", "es");
    expect(await leftoverEnglish(page), path).toEqual([]);
  }
  // Signed out, the sign-in page follows the language chosen on this browser.
  await page.getByRole("button", { name: "Cerrar sesión" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("button", { name: "Iniciar sesión" })).toBeVisible();
  expect(await leftoverEnglish(page), "/login").toEqual([]);
});

// The front desk's forms and blocked time, on a day of their own.
const formsDay = weekdayAhead(15, [day, blockedDay]);

test("the booking form forgets a time picked for another service or day: nothing stale is booked", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay));
  const form = await openForm(page, "New booking", "Book for a phone or walk-in customer");
  const service = form.getByLabel("Service");
  const time = form.getByLabel("Time");
  const book = form.getByRole("button", { name: "Book", exact: true });
  await service.selectOption({ label: "Haircut (30 min)" });
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "16:00" });
  await form.getByLabel("Customer name").fill("Stale Sunday");
  await expect(book).toBeEnabled();

  // Another service: its times are other times, so the time is chosen again.
  await service.selectOption({ index: 1 });
  await expect(time).toHaveValue("");
  await expect(book).toBeDisabled();
  await service.selectOption({ label: "Haircut (30 min)" });
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "16:00" });
  await expect(book).toBeEnabled();

  // Another day, Sunday (closed): no free times, so nothing can be booked (not the weekday's 16:00).
  await pickDateWithKeyboard(page, form.getByTestId("date-picker"), daysToSunday(formsDay));
  await expect(time).toBeDisabled();
  await expect(time).toContainText("No free times that day.");
  await expect(time).toHaveValue("");
  await expect(book).toBeDisabled();
  await form.getByLabel("Customer name").press("Enter");
  await page.waitForTimeout(500);
  expect(sql("SELECT c.id FROM customers c WHERE c.profile_name = 'Stale Sunday'")).toEqual([]);
});

test("the move form forgets a time picked on another day: nothing stale is moved", async ({ page }) => {
  const { appointment } = await api<{ appointment: { id: number } }>(
    token,
    "POST",
    `/businesses/${businessId}/appointments`,
    { service: "Haircut", starts_at: madrid(formsDay, "12:00"), customer_name: "Move Mona" },
  );
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay, "day", `&appointment=${appointment.id}`));
  const move = page.getByRole("form", { name: "Move to another time" });
  const time = move.getByLabel("When (h)");
  const submit = move.getByRole("button", { name: "Move", exact: true });
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "15:00" });
  await expect(submit).toBeEnabled();
  await pickDateWithKeyboard(page, move.getByTestId("date-picker"), daysToSunday(formsDay));
  await expect(time).toBeDisabled();
  await expect(time).toHaveValue("");
  await expect(submit).toBeDisabled();
  const [row] = sql<{ starts_at: string }>("SELECT starts_at FROM appointments WHERE id = %s", [appointment.id]);
  expect(new Date(row!.starts_at).toISOString()).toBe(madrid(formsDay, "12:00"));
});

test("blocked time is unblocked from the calendar after a confirmation, on a desktop and on a phone", async ({
  page,
}) => {
  const block = (from: string, until: string, reason: string) =>
    api<{ blocked_time: { id: number } }>(token, "POST", `/businesses/${businessId}/blocked-times`, {
      starts_at: madrid(formsDay, from),
      ends_at: madrid(formsDay, until),
      reason,
    });
  const mistake = (await block("11:00", "12:00", "Blocked by mistake")).blocked_time.id;
  const dentist = (await block("16:30", "17:30", "Dentist")).blocked_time.id;
  const exists = (id: number) => sql("SELECT id FROM blocked_times WHERE id = %s", [id]).length === 1;
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay));
  const grid = page.getByTestId("calendar-grid");
  await expect(grid.getByTestId("shade-blocked")).toHaveCount(2);

  // With the keyboard: the block's button, then a confirmation naming it; keeping it keeps it.
  const unblock = grid.getByRole("button", { name: /^Unblock .*Blocked by mistake/ });
  await unblock.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Unblock this time?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Blocked by mistake");
  await checkAccessibility(page);
  await dialog.getByRole("button", { name: "Keep it blocked" }).click();
  await expect(dialog).toBeHidden();
  expect(exists(mistake)).toBe(true);

  await unblock.click();
  await dialog.getByRole("button", { name: "Yes, unblock it" }).click();
  await expect(grid.getByTestId("shade-blocked")).toHaveCount(1);
  await expect(grid.getByTestId("shade-blocked")).toContainText("Dentist");
  expect(exists(mistake)).toBe(false);
  const free = await api<{ slots: string[] }>(
    token,
    "GET",
    `/businesses/${businessId}/slots?service=Haircut&date=${formsDay}`,
  );
  expect(free.slots.map((s) => new Date(s).toISOString())).toContain(madrid(formsDay, "11:00"));

  // On a phone, from the day list.
  await page.setViewportSize({ width: 390, height: 844 });
  const list = page.getByTestId("calendar-list");
  await list.getByRole("button", { name: /^Unblock .*Dentist/ }).click();
  await page
    .getByRole("dialog", { name: "Unblock this time?" })
    .getByRole("button", { name: "Yes, unblock it" })
    .click();
  await expect(list.getByText("Dentist")).toHaveCount(0);
  expect(exists(dentist)).toBe(false);
  await checkLayoutAndLabels(page);
});

test("the block form says in words that the end must be after the start, before asking the API", async ({ page }) => {
  const blocks = () => sql<{ n: number }>("SELECT count(*)::int AS n FROM blocked_times")[0]!.n;
  const before = blocks();
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay));
  const form = await openForm(page, "Block time", "Block time (holiday, absence)");
  // A three-day holiday: "From" is moved on first, while "Until" is still the same day.
  await pickDateWithKeyboard(page, form.getByTestId("date-picker").first(), 1);
  await form.getByRole("button", { name: "Block", exact: true }).click();
  await expect(form.getByRole("alert")).toHaveText("The end must be after the start.");
  expect(blocks()).toBe(before);
});

test("a date picked or left with the keyboard gives the focus back to its button", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay));
  const form = await openForm(page, "Block time", "Block time (holiday, absence)");
  const from = form.getByTestId("date-picker").first();
  await pickDateWithKeyboard(page, from, 1);
  await expect(from).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator(".date-popover")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.locator(".date-popover")).toHaveCount(0);
  await expect(from).toBeFocused();
});

test("in Spanish, the front desk explains refusals and bad fields in Spanish", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(formsDay));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const form = await openForm(page, "Nueva cita", "Cita para un cliente por teléfono o en persona");
  await form.getByLabel("Servicio").selectOption({ label: "Haircut (30 min)" });
  const time = form.getByLabel("Hora");
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "10:00" });
  await form.getByLabel("Nombre del cliente").fill("Carla Completo");
  const phone = form.getByLabel("Teléfono (opcional, con prefijo del país)");
  const book = form.getByRole("button", { name: "Reservar", exact: true });
  // A number the API refuses: the field is explained, not named.
  await phone.fill("12");
  await book.click();
  await expect(form.getByRole("alert")).toHaveText(
    "Escribe el teléfono con el prefijo del país, p. ej. +34 600 11 22 33.",
  );
  await phone.fill("");
  // Every answer reloads the free times (the select is disabled while they load): wait for that
  // reload before 10:00 fills up, or it could end after and drop 10:00 from the list.
  await expect(time).toBeEnabled();
  await expect(time.locator("option:checked")).toHaveText("10:00");
  // Meanwhile both chairs at 10:00 are taken at another desk: the refusal's reason in Spanish.
  for (const name of ["Phone Pia", "Phone Pere"]) {
    await api(token, "POST", `/businesses/${businessId}/appointments`, {
      service: "Haircut",
      starts_at: madrid(formsDay, "10:00"),
      customer_name: name,
    });
  }
  await expect(book).toBeEnabled();
  await book.click();
  await expect(form.getByRole("alert")).toHaveText("Esa hora ya está completa.");
  await expect(form.getByTestId("alternatives")).toBeVisible();
  expect(sql("SELECT id FROM customers WHERE profile_name = 'Carla Completo'")).toEqual([]);

  // A block longer than the API allows (a year and two days): explained in Spanish too.
  const block = await openForm(page, "Bloquear horas", "Bloquear horas (festivo, ausencia)");
  await pickDateWithKeyboard(page, block.getByTestId("date-picker").nth(1), [
    "Shift+PageDown",
    "ArrowRight",
    "ArrowRight",
  ]);
  await block.getByRole("button", { name: "Bloquear", exact: true }).click();
  await expect(block.getByRole("alert")).toHaveText("Un bloqueo puede durar como máximo 366 días.");
  await checkAccessibility(page);
});

// A day of its own for the offered alternatives.
const fullDay = weekdayAhead(12, [day, blockedDay, formsDay]);

test("a double click on an offered free time books the walk-in once", async ({ page }) => {
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(fullDay));
  const form = await openForm(page, "New booking", "Book for a phone or walk-in customer");
  await form.getByLabel("Service").selectOption({ label: "Haircut (30 min)" });
  const time = form.getByLabel("Time");
  await expect(time).toBeEnabled();
  await time.selectOption({ label: "11:00" });
  // Both chairs at 11:00 are taken at another desk meanwhile: the refusal offers other times.
  for (const name of ["Phone Abel", "Phone Berta"]) {
    await api(token, "POST", `/businesses/${businessId}/appointments`, {
      service: "Haircut",
      starts_at: madrid(fullDay, "11:00"),
      customer_name: name,
    });
  }
  const name = `Double Dora ${Date.now()}`;
  await form.getByLabel("Customer name").fill(name);
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(form.getByRole("alert")).toHaveText("That time is fully booked.");
  const alternative = form.getByTestId("alternatives").getByRole("button").first();
  await alternative.dblclick();
  await expect(page.getByTestId("appointment-panel")).toContainText(name);
  await page.waitForTimeout(1000);
  const booked = sql(
    "SELECT a.id FROM appointments a JOIN customers c ON c.id = a.customer_id" +
      " WHERE c.profile_name = %s AND a.status = 'booked'",
    [name],
  );
  expect(booked, "one walk-in, one booking").toHaveLength(1);
});

test("a date beyond the booking horizon says why it has no free times, to book or to move", async ({ page }) => {
  const { appointment } = await api<{ appointment: { id: number } }>(
    token,
    "POST",
    `/businesses/${businessId}/appointments`,
    { service: "Haircut", starts_at: madrid(fullDay, "16:00"), customer_name: "Far Fabio" },
  );
  await signIn(page, staff.email, staff.password);
  await page.goto(calendar(weekdayAhead(400)));
  const form = await openForm(page, "New booking", "Book for a phone or walk-in customer");
  // GET …/slots answers {slots: [], reason: "beyond_horizon"}.
  await expect(form.getByLabel("Time")).toContainText("No free times that day.");
  await expect(form.getByTestId("no-times")).toHaveText("That date is too far ahead to book.");

  await page.goto(calendar(fullDay, "day", `&appointment=${appointment.id}`));
  const move = page.getByRole("form", { name: "Move to another time" });
  await expect(move.getByLabel("When (h)")).toBeEnabled();
  await expect(move.getByTestId("no-times")).toHaveCount(0);
  await pickDateWithKeyboard(page, move.getByTestId("date-picker"), ["Shift+PageDown"]);
  await expect(move.getByLabel("When (h)")).toBeDisabled();
  await expect(move.getByTestId("no-times")).toHaveText("That date is too far ahead to book.");
});
