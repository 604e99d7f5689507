import { expect, test, type Page } from "@playwright/test";

import {
  api,
  apiToken,
  checkAccessibility,
  claimAccount,
  demoBusinessId,
  madrid,
  shot,
  signIn,
  sql,
  weekdayAhead,
} from "./helpers";

// The warning that Google Calendar is not up to date: nothing for a healthy calendar, local or
// Google; in Spanish, what is wrong and what to do (owners reconnect, staff tell an owner); and an
// appointment's place in Google in its detail. The business is put back on its local calendar.
let token: string;
let businessId: number;
const day = weekdayAhead(9);
const staff = { email: `cal.${Date.now()}@example.com`, password: "calendar-staff-password-1" };
let staffId: number;

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
  const added = await api<{ user: { id: number } }>(token, "POST", `/businesses/${businessId}/staff`, {
    ...staff,
    role: "staff",
  });
  staffId = added.user.id;
  await claimAccount(staff.email, staff.password);
});

test.afterAll(async () => {
  localCalendar();
  // The team the other tests see is left as it was.
  await api(token, "DELETE", `/businesses/${businessId}/staff/${staffId}`);
  // The walk-ins this file made, and their bookings with them.
  sql("DELETE FROM customers WHERE business_id = %s AND address LIKE %s RETURNING id", [
    businessId,
    "walk-in-e2e-calendar-%",
  ]);
});

function localCalendar() {
  sql(
    "UPDATE businesses SET calendar_backend = 'local', calendar_settings = '{}'::jsonb," +
      " calendar_error = NULL, calendar_error_at = NULL WHERE id = %s RETURNING id",
    [businessId],
  );
}

function googleCalendar(error: string | null) {
  sql(
    "UPDATE businesses SET calendar_backend = 'google'," +
      ' calendar_settings = \'{"calendar_id": "salon@group.calendar.google.com"}\'::jsonb,' +
      " calendar_error = %s, calendar_error_at = CASE WHEN %s::text IS NULL THEN NULL ELSE now() END" +
      " WHERE id = %s RETURNING id",
    [error, error, businessId],
  );
}

/** A booking at a Madrid time on `day` (before opening: it takes no seat the other tests book)
 * whose calendar sync is `state`, last changed `minutesAgo` minutes ago. */
function booking(name: string, hhmm: string, state: string, minutesAgo: number): number {
  const [customer] = sql<{ id: number }>(
    "INSERT INTO customers (business_id, channel, address, profile_name)" +
      " VALUES (%s, 'walk_in', %s, %s) RETURNING id",
    [businessId, `walk-in-e2e-calendar-${Date.now()}-${hhmm}`, name],
  );
  const starts = madrid(day, hhmm);
  const [row] = sql<{ id: number }>(
    "INSERT INTO appointments (business_id, customer_id, service_id, starts_at, ends_at," +
      " idempotency_key, created_by, calendar_sync, updated_at)" +
      " SELECT %s, %s, s.id, %s::timestamptz, %s::timestamptz + interval '30 minutes', %s, 'staff', %s," +
      " now() - make_interval(mins => %s) FROM services s WHERE s.business_id = %s AND s.name = 'Haircut'" +
      " RETURNING id",
    [businessId, customer!.id, starts, starts, `e2e-calendar-${hhmm}`, state, minutesAgo, businessId],
  );
  return row!.id;
}

async function inSpanish(page: Page) {
  await page.goto(`/businesses/${businessId}`);
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
}

const warning = (page: Page) => page.getByTestId("calendar-warning");

test("a healthy calendar, local or Google, shows no warning", async ({ page }) => {
  localCalendar();
  await signIn(page);
  await inSpanish(page);
  const calendar = `/businesses/${businessId}/appointments?view=day&date=${day}`;
  for (const path of [`/businesses/${businessId}`, calendar]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(warning(page)).toHaveCount(0);
  }
  googleCalendar(null);
  const synced = booking("Sincronizada Sara", "07:00", "synced", 60);
  for (const path of [`/businesses/${businessId}`, calendar]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(warning(page)).toHaveCount(0);
  }
  await page.goto(`${calendar}&appointment=${synced}`);
  await expect(page.getByTestId("appointment-panel")).toBeVisible();
  await expect(page.getByTestId("appointment-sync")).toHaveCount(0);
  // The same page and booking, once its write to Google failed: the warning and the note appear.
  sql("UPDATE appointments SET calendar_sync = 'failed' WHERE id = %s RETURNING id", [synced]);
  await page.reload();
  await expect(warning(page)).toBeVisible();
  await expect(page.getByTestId("appointment-sync")).toBeVisible();
  sql("UPDATE appointments SET calendar_sync = 'synced' WHERE id = %s RETURNING id", [synced]);
  localCalendar();
});

test("in Spanish: what is wrong with Google Calendar and what to do, for owners and staff", async ({
  page,
  browser,
}) => {
  googleCalendar(
    "Google Calendar refused access (invalid_grant: Token has been expired or revoked.). Run setup_calendar_auth.py for this business again.",
  );
  const failed = booking("Fallida Fátima", "07:30", "failed", 90);
  const late = booking("Pendiente Pablo", "08:00", "pending", 45);
  try {
    await signIn(page);
    await inSpanish(page);
    const alert = page.getByRole("alert").filter({ hasText: "Google Calendar no está al día" });
    await expect(alert).toBeVisible();
    await expect(alert).toContainText("El bot no pudo usar el Google Calendar del negocio");
    await expect(alert).toContainText(
      "1 cita próxima lleva más de 10 minutos esperando a escribirse en Google Calendar.",
    );
    await expect(alert).toContainText("1 cita próxima no se pudo escribir en Google Calendar.");
    await expect(alert).toContainText("consulta las citas en esta consola, no en Google");
    await expect(alert).toContainText(`python setup_calendar_auth.py --business-id ${businessId}`);
    await expect(alert).toContainText("Qué hacer: vuelve a conectar Google Calendar");
    await checkAccessibility(page);
    await shot(page, "calendar-warning-overview-es");

    const calendar = `/businesses/${businessId}/appointments?view=day&date=${day}`;
    await page.goto(calendar);
    await expect(alert).toBeVisible();
    await page.goto(`${calendar}&appointment=${failed}`);
    await expect(page.getByTestId("appointment-sync")).toHaveText("No se pudo escribir en Google Calendar");
    await page.goto(`${calendar}&appointment=${late}`);
    await expect(page.getByTestId("appointment-sync")).toHaveText("Aún no está en Google Calendar");
    await checkAccessibility(page);
    await shot(page, "calendar-warning-appointment-es");

    // Staff cannot reconnect it: they are told to tell the owner.
    const context = await browser.newContext();
    const staffPage = await context.newPage();
    await signIn(staffPage, staff.email, staff.password);
    await inSpanish(staffPage);
    const staffAlert = staffPage.getByRole("alert").filter({ hasText: "Google Calendar no está al día" });
    await expect(staffAlert).toContainText("Qué hacer: avisa al propietario del negocio");
    await expect(staffAlert).not.toContainText("setup_calendar_auth.py --business-id");
    await context.close();
  } finally {
    localCalendar();
  }
  // Back on the local calendar: nothing to warn of, whatever its bookings' old sync state.
  await page.goto(`/businesses/${businessId}`);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(warning(page)).toHaveCount(0);
});
