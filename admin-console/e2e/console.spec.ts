import { readFileSync } from "node:fs";

import { expect, test } from "@playwright/test";

import {
  ADMIN,
  ARTIFACTS,
  api,
  apiToken,
  checkAccessibility,
  checkLayoutAndLabels,
  claimAccount,
  customerSays,
  demoBusinessId,
  hasSandbox,
  messengerSays,
  postWebhook,
  shot,
  signIn,
  sql,
  statusUpdate,
  waitForReply,
  weekdayAhead,
} from "./helpers";

// One story, in order: each test builds on what the previous one changed in the database.
test.describe.configure({ mode: "serial" });

let token: string;
let businessId: number;
const bookingDate = weekdayAhead(3);
const whatsappDate = weekdayAhead(4, [bookingDate]);
const customer = { waId: "34611222333", name: "Maria Lopez" };
const messengerPsid = "6254381284670001";
const staff = { email: `staff.${Date.now()}@example.com`, password: "staff-password-1" };
const owner = { email: `owner.${Date.now()}@example.com`, password: "owner-password-1" };

test.beforeAll(async () => {
  token = await apiToken();
  businessId = await demoBusinessId(token);
});

const biz = (suffix = "") => `/businesses/${businessId}${suffix}`;

test("sign in and out; the token stays in an HttpOnly cookie", async ({ page, context }) => {
  await page.goto("/businesses");
  await expect(page).toHaveURL(/\/login\?next=%2Fbusinesses/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Wrong email or password.");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/businesses$/);
  await expect(page.getByRole("link", { name: "Demo Salon" })).toBeVisible();

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "console_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  expect(await page.evaluate(() => document.cookie)).not.toContain(session?.value ?? "-");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/businesses");
  await expect(page).toHaveURL(/\/login/);
});

test("edit services and hours: a validation error shows inline, the fix reaches the prompt preview", async ({
  page,
}) => {
  await signIn(page);
  await page.goto(biz());
  await page.getByRole("navigation", { name: "Business sections" }).getByRole("link", { name: "Settings" }).click();
  const preview = page.getByTestId("prompt-preview");
  await expect(preview).toContainText("Hair coloring (90 min, 60.00 EUR)");

  // Services: add one, change a price, remove one.
  await page.getByRole("button", { name: "+ Add service" }).click();
  await page.getByLabel("Service 4 name").fill("Kids haircut");
  await page.getByLabel("Service 4 duration (min)").fill("20");
  await page.getByLabel("Service 4 price").fill("15");
  await page.getByLabel("Service 2 price").fill("14.50");
  await page.getByRole("button", { name: "Remove service 3 (Hair coloring)" }).click();
  await page.getByRole("button", { name: "Save services" }).click();
  await expect(page.getByText("Services saved.")).toBeVisible();
  await expect(preview).toContainText("Kids haircut (20 min, 15.00 EUR)");
  await expect(preview).toContainText("Beard trim (15 min, 14.50 EUR)");
  await expect(preview).not.toContainText("Hair coloring");

  // Hours: Monday closing before it opens is refused by the API, field by field.
  const mondayCloses = page.getByLabel("Monday closes");
  await mondayCloses.fill("08:00");
  await page.getByRole("button", { name: "Save hours" }).click();
  await expect(mondayCloses).toHaveAttribute("aria-invalid", "true");
  await expect(
    page
      .getByTestId("day-mon")
      .getByRole("alert")
      .filter({ hasText: "Closing time: It must be after the opening time." }),
  ).toBeVisible();
  await expect(page.getByText("Nothing was saved: fix the highlighted fields.")).toBeVisible();
  await page
    .locator('form[aria-labelledby="hours-title"]')
    .screenshot({ path: `${ARTIFACTS}/settings-validation-error-1280.png` });
  await expect(preview).toContainText("Monday: 09:00–18:00");

  await mondayCloses.fill("19:00");
  await page.getByRole("checkbox", { name: "Open on Saturday" }).uncheck();
  await page.getByRole("button", { name: "Save hours" }).click();
  await expect(page.getByTestId("day-mon").getByRole("alert")).toHaveCount(0);
  await expect(mondayCloses).not.toHaveAttribute("aria-invalid", "true");
  await expect(preview).toContainText("Monday: 09:00–19:00 (break 13:00–14:00)");
  await expect(preview).toContainText("Saturday: closed");

  // A closed date, picked from a month calendar in the business's locale (not the browser's
  // date input): the 15th of next month.
  const now = new Date();
  const next = new Date(now.getFullYear(), now.getMonth() + 1, 15);
  const closedIso = `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, "0")}-15`;
  const hoursForm = page.locator('form[aria-labelledby="hours-title"]');
  await hoursForm.getByTestId("date-picker").click();
  const month = page.getByRole("dialog", { name: "Add a closed date" });
  await month.getByRole("button", { name: /next month/i }).click();
  await month.getByRole("button", { name: /\b15\b/ }).click();
  await expect(month).toHaveCount(0);
  await hoursForm.getByRole("button", { name: "Add date", exact: true }).click();
  await expect(hoursForm.getByRole("button", { name: /^Remove closed date/ })).toHaveCount(1);
  await expect(hoursForm.getByRole("button", { name: "Add date", exact: true })).toBeDisabled();
  await page.getByRole("button", { name: "Save hours" }).click();
  await expect(preview).toContainText(closedIso);

  // Booking rules, for good measure. (The hours form may still show its own "Saved.".)
  await page.getByLabel("Capacity (at the same time)").fill("2");
  await page.getByRole("button", { name: "Save rules" }).click();
  const rulesForm = page.locator('form[aria-labelledby="rules-title"]');
  await expect(rulesForm.getByText("Saved.", { exact: true })).toBeVisible();
  await expect(preview).toContainText("Appointments at the same time: up to 2.");
});

test("try the bot: book with the offline model, find it in the appointments, cancel it", async ({ page }) => {
  await signIn(page);
  await page.goto(biz());
  expect(await hasSandbox(), "the API contract lists the sandbox endpoints").toBe(true);
  const sandbox = page.getByTestId("sandbox-thread");
  await page.getByLabel("Message to the bot").fill(`book a haircut on ${bookingDate} at 10:00`);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sandbox.getByTestId("bubble-out").last()).toContainText("Booked", { timeout: 30_000 });
  await expect(sandbox.getByTestId("tool-call").filter({ hasText: "book_appointment" })).toBeVisible();
  await shot(page, "try-the-bot");

  await page.getByRole("navigation", { name: "Business sections" }).getByRole("link", { name: "Appointments" }).click();
  await expect(page.getByRole("heading", { level: 2 }).first()).toBeVisible();
  await page.goto(biz(`/appointments?view=day&date=${bookingDate}`));
  const grid = page.getByTestId("calendar-grid");
  const block = grid.getByTestId("cal-appointment").filter({ hasText: "Haircut" });
  await expect(block).toHaveCount(1);
  await expect(block).toContainText("10:00");

  await page.getByRole("link", { name: "Week", exact: true }).click();
  await expect(page.getByRole("heading", { name: /^Week of/ })).toBeVisible();
  await expect(grid.getByTestId("cal-appointment").filter({ hasText: "Haircut" })).toHaveCount(1);
  await page.getByRole("link", { name: "Day", exact: true }).click();

  await block.click();
  const panel = page.getByTestId("appointment-panel");
  await expect(panel).toContainText("Haircut");
  await panel.getByRole("button", { name: /^Cancel Haircut/ }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel this appointment?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Keep it" }).click();
  await expect(dialog).toBeHidden();
  await expect(block).toHaveCount(1);
  await panel.getByRole("button", { name: /^Cancel Haircut/ }).click();
  await dialog.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(dialog).toBeHidden();
  // A cancelled appointment leaves the calendar (its seat is free) and says so when opened.
  await expect(block).toHaveCount(0);
  await expect(panel).toContainText("cancelled");

  // The test chat is a conversation like any other: the booking's tool call, then the notice.
  await page
    .getByRole("navigation", { name: "Business sections" })
    .getByRole("link", { name: "Conversations" })
    .click();
  await page.getByRole("link", { name: /test chat/ }).click();
  const thread = page.getByTestId("thread");
  const booked = thread.getByTestId("bubble-out").filter({ hasText: "Booked" });
  await booked.locator("details.tools summary").click();
  await expect(booked.getByTestId("tool-call")).toContainText('"time": "10:00"');
  await expect(thread.getByTestId("bubble-out").last()).toContainText("has been cancelled");

  await page.goto(biz());
  await page.getByRole("button", { name: "Reset chat" }).click();
  await expect(page.getByText("Say hello, ask for prices, or book an appointment.")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("sandbox-thread").getByTestId("bubble-in")).toHaveCount(0);
});

test("read a WhatsApp conversation: ticks, a failed reply, tool calls; pause and resume the bot", async ({ page }) => {
  // A customer books over WhatsApp, the reply is delivered and read; a second reply fails.
  const date = whatsappDate;
  // Counted before the message goes: a turn can store its reply before a count taken after.
  const before = await countOut();
  await customerSays(customer.waId, customer.name, `book a haircut on ${date} at 11:00`);
  const first = await waitForReply(token, businessId, customer.waId, before + 1);
  const booked = first.out[first.out.length - 1]!;
  await statusUpdate(booked.id, customer.waId, "delivered");
  await statusUpdate(booked.id, customer.waId, "read");
  await customerSays(customer.waId, customer.name, "what services do you have?");
  const second = await waitForReply(token, businessId, customer.waId, first.out.length + 1);
  const failed = second.out[second.out.length - 1]!;
  await statusUpdate(failed.id, customer.waId, "failed", [
    { code: 131047, title: "Re-engagement message", message: "Re-engagement message" },
  ]);

  await signIn(page);
  await page.goto(biz("/conversations"));
  await page.getByLabel("Search by name or number").fill("Maria");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=Maria/);
  await page.getByRole("link", { name: /Maria Lopez/ }).click();

  const thread = page.getByTestId("thread");
  const bookedBubble = thread.getByTestId("bubble-out").filter({ hasText: "Booked" }).last();
  await expect(bookedBubble.getByRole("img", { name: "Read" })).toBeVisible();
  const tools = bookedBubble.locator("details.tools");
  await expect(tools.locator("summary")).toContainText("book_appointment");
  await expect(tools.getByText("arguments")).toBeHidden();
  await tools.locator("summary").click();
  await expect(tools.getByTestId("tool-call").first()).toContainText(date);
  const failedBubble = thread.getByTestId("bubble-out").last();
  await expect(failedBubble.getByRole("img", { name: "Failed" })).toBeVisible();
  // Meta took the reply, then failed it for the closed window: recorded as the window's refusal.
  await expect(failedBubble).toContainText("Not sent: outside the 24-hour customer-service window (code 131047)");

  await page.getByRole("button", { name: "Pause the bot" }).click();
  await expect(page.getByText("The bot is paused for this customer")).toBeVisible();
  await page.getByRole("button", { name: "Resume the bot" }).click();
  await expect(page.getByRole("button", { name: "Pause the bot" })).toBeVisible();
  await expect(page.getByText("The bot is paused for this customer")).toBeHidden();
});

test("connect the Facebook Page in settings; a Messenger conversation shows its channel", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/settings"));
  const messenger = page.locator('form[aria-labelledby="channels-title"]');
  const pageId = messenger.getByLabel("Facebook Page id (Messenger)");
  await expect(pageId).toHaveValue("777000111"); // seed-demo's MESSENGER_PAGE_ID
  await pageId.fill("777/000");
  await messenger.getByRole("button", { name: "Save Messenger" }).click();
  await expect(pageId).toHaveAttribute("aria-invalid", "true");
  await expect(messenger.getByRole("alert").filter({ hasText: "letters, digits" })).toBeVisible();
  await pageId.fill("777000111");
  const pageToken = messenger.getByLabel("Page access token");
  await expect(pageToken).toHaveAttribute("placeholder", "Not set");
  await pageToken.fill("EAAPage-e2e-token");
  await messenger.getByRole("button", { name: "Save Messenger" }).click();
  await expect(messenger.getByText("Saved.", { exact: true })).toBeVisible();
  await expect(pageToken).toHaveValue("");
  await expect(pageToken).toHaveAttribute("placeholder", "Stored — type to replace");
  const stored = await api<{ has_page_access_token: boolean; messenger_page_id: string }>(
    token,
    "GET",
    `/businesses/${businessId}`,
  );
  expect(stored).toMatchObject({ has_page_access_token: true, messenger_page_id: "777000111" });
  await messenger.screenshot({ path: `${ARTIFACTS}/settings-messenger-1280.png` });

  // A customer writes to the Page: one list, two channels, each conversation badged.
  await messengerSays(messengerPsid, "what services do you have?");
  await waitForReply(token, businessId, messengerPsid, 1);
  await page.goto(biz("/conversations"));
  const fromMessenger = page.getByRole("link", { name: new RegExp(`Messenger \\(${messengerPsid}\\)`) }).first();
  await expect(fromMessenger.getByTestId("channel-badge")).toHaveText("Messenger");
  const fromWhatsApp = page.getByRole("link", { name: /Maria Lopez/ });
  await expect(fromWhatsApp.getByTestId("channel-badge")).toHaveText("WhatsApp");
  await fromMessenger.click();
  await expect(page.getByRole("heading", { name: /Messenger/ }).getByTestId("channel-badge")).toHaveText("Messenger");
  await expect(page.getByTestId("thread").getByTestId("bubble-out").last()).toContainText("Haircut");
  await shot(page, "conversation-messenger");
});

test("owners manage their staff; staff see no settings and cannot open them", async ({ page, browser }) => {
  await api(token, "POST", `/businesses/${businessId}/staff`, {
    email: owner.email,
    password: owner.password,
    role: "owner",
  });
  await claimAccount(owner.email, owner.password);

  await signIn(page, owner.email, owner.password);
  await expect(page).toHaveURL(new RegExp(`${biz()}$`));
  await page.getByRole("navigation", { name: "Business sections" }).getByRole("link", { name: "Team" }).click();
  await page.getByLabel("Email").fill(staff.email);
  await page.getByLabel("Name (optional)").fill("Sam Staff");
  await page.getByLabel("Password (optional)").fill(staff.password);
  await page.getByRole("button", { name: "Add staff" }).click();
  await expect(page.getByText(`${staff.email} was added as staff.`)).toBeVisible();
  // The list shows the email and role only: an account's name is not the business's to see.
  await expect(page.getByRole("cell").getByText(staff.email, { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: `Remove ${owner.email} from the team` })).toHaveCount(0);

  // (Choosing their own password at the first sign-in is password.spec.ts's story.)
  await claimAccount(staff.email, staff.password);
  const staffContext = await browser.newContext();
  const staffPage = await staffContext.newPage();
  await signIn(staffPage, staff.email, staff.password);
  await expect(staffPage).toHaveURL(new RegExp(`${biz()}$`));
  const tabs = staffPage.getByRole("navigation", { name: "Business sections" });
  await expect(tabs.getByRole("link", { name: "Conversations" })).toBeVisible();
  await expect(tabs.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await expect(tabs.getByRole("link", { name: "Team" })).toHaveCount(0);
  await staffPage.goto(biz("/settings"));
  await expect(staffPage.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(staffPage.getByLabel("Service 1 name")).toHaveCount(0);
  await shot(staffPage, "staff-settings-not-allowed");
  await staffPage.goto(biz("/team"));
  await expect(staffPage.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await staffPage.goto("/users");
  await expect(staffPage.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await staffContext.close();
});

test("every main page at phone and desktop width: labelled controls, no sideways scroll", async ({ page }) => {
  test.setTimeout(180_000);
  // A second customer takes the other chair at 11:00, so the day view shows a full slot.
  await customerSays("34622333444", "Jon Ander", `book a haircut on ${whatsappDate} at 11:00`);
  await waitForReply(token, businessId, "34622333444", 1);
  await signIn(page);
  const { conversations } = await api<{ conversations: { id: number; address: string }[] }>(
    token,
    "GET",
    `/businesses/${businessId}/conversations`,
  );
  const maria = conversations.find((c) => c.address === customer.waId);
  const pages: [string, string][] = [
    ["businesses", "/businesses"],
    ["overview", biz()],
    ["settings", biz("/settings")],
    ["conversations", biz("/conversations")],
    ["thread", biz(`/conversations/${maria?.id ?? 1}`)],
    ["appointments-day", biz(`/appointments?view=day&date=${whatsappDate}`)],
    ["appointments-week", biz(`/appointments?view=week&date=${whatsappDate}`)],
    ["knowledge", biz("/knowledge")],
    ["usage", biz("/usage")],
    ["team", biz("/team")],
    ["users", "/users"],
  ];
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: width < 500 ? 844 : 800 });
    for (const [name, url] of pages) {
      await page.goto(url);
      await page.waitForLoadState("networkidle");
      await expect(page.locator("main")).toBeVisible();
      await checkLayoutAndLabels(page);
      await checkAccessibility(page);
      await shot(page, name);
    }
  }
  await page.context().clearCookies();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/login");
    await checkLayoutAndLabels(page);
    await checkAccessibility(page);
    await shot(page, "login");
  }
});

test("a message Meta delivers a day late: its reply is not sent, and the thread says why", async ({ page }) => {
  // After a long outage Meta delivers a message written 25 hours ago: no free text may go.
  const late = { waId: "34611222555", name: "Lucia Late" };
  await customerSays(late.waId, late.name, "can I come in tomorrow?", 25 * 3600);
  const { out } = await waitForReply(token, businessId, late.waId, 1);
  expect(out.map((m) => m.status)).toEqual(["failed"]);

  await signIn(page);
  await page.goto(biz("/conversations"));
  await page.getByLabel("Search by name or number").fill("Lucia");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: /Lucia Late/ }).click();
  const reason = page.getByTestId("thread").getByTestId("bubble-out").last().getByTestId("send-error");
  await expect(reason).toContainText("Not sent: outside the 24-hour customer-service window");
  await expect(reason).toContainText("last message 25 h ago");
});

test("a customer's data on request: export it as JSON, then erase it", async ({ page }) => {
  const asker = { waId: "34611222777", name: "Pilar Private" };
  await customerSays(asker.waId, asker.name, "what are your opening hours?");
  const { customerId } = await waitForReply(token, businessId, asker.waId, 1);

  await signIn(page);
  await page.goto(biz(`/conversations/${customerId}`));
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`customer-${businessId}-${customerId}.json`);
  const saved = JSON.parse(readFileSync((await download.path())!, "utf-8"));
  expect(saved.customer.profile_name).toBe(asker.name);
  expect(saved.messages.map((m: { body: string }) => m.body)).toContain("what are your opening hours?");

  await page.getByRole("button", { name: "Erase", exact: true }).click();
  await page.getByRole("button", { name: "Keep" }).click(); // changed their mind
  await expect(page.getByRole("heading", { name: asker.name })).toBeVisible();
  await page.getByRole("button", { name: "Erase", exact: true }).click();
  await page.getByRole("button", { name: "Erase for good" }).click();
  await expect(page.getByText("This customer's data was erased")).toBeVisible();
  await expect(page.getByRole("heading", { name: "erased customer" })).toBeVisible();
  await expect(page.getByText("what are your opening hours?")).toBeHidden();
  await shot(page, "conversation-erased");
});

test("in Spanish, an export the API refuses says why on the page, and nothing downloads", async ({ page }) => {
  const asker = { waId: "34611222778", name: "Pablo Private" };
  await customerSays(asker.waId, asker.name, "do you open on Saturdays?");
  const { customerId } = await waitForReply(token, businessId, asker.waId, 1);
  const member = { email: `export.${Date.now()}@example.com`, password: "export-password-1" };
  const { user } = await api<{ user: { id: number } }>(token, "POST", `/businesses/${businessId}/staff`, {
    ...member,
    role: "staff",
  });
  await claimAccount(member.email, member.password);

  await signIn(page, member.email, member.password);
  await page.goto(biz(`/conversations/${customerId}`));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  // Meanwhile they are removed from the team: the API no longer shows them this business (404).
  await api(token, "DELETE", `/businesses/${businessId}/staff/${user.id}`);
  const downloads: string[] = [];
  page.on("download", (download) => downloads.push(download.suggestedFilename()));
  await page.getByText("Exportar JSON", { exact: true }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Ya no existe o no puedes verlo.");
  expect(downloads).toEqual([]);
});

async function countOut(): Promise<number> {
  const { conversations } = await api<{ conversations: { id: number; address: string }[] }>(
    token,
    "GET",
    `/businesses/${businessId}/conversations?q=${customer.waId}`,
  );
  const found = conversations.find((c) => c.address === customer.waId);
  if (!found) return 0;
  const thread = await api<{ messages: { direction: string }[] }>(
    token,
    "GET",
    `/businesses/${businessId}/conversations/${found.id}`,
  );
  return thread.messages.filter((m) => m.direction === "out").length;
}

test("the team page dates a member by the salon's day, not UTC's", async ({ page }) => {
  const email = `late.${Date.now()}@example.com`;
  await api(token, "POST", `/businesses/${businessId}/staff`, { email, role: "staff" });
  // Added at 00:30 in Madrid on 2 March 2026: 23:30 on 1 March in UTC.
  sql(
    "UPDATE memberships SET created_at = '2026-03-01 23:30:00+00'" +
      " WHERE business_id = %s AND user_id = (SELECT id FROM users WHERE email = %s) RETURNING user_id",
    [businessId, email],
  );
  await signIn(page);
  await page.goto(biz("/team"));
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("added Monday, 2 March 2026");
});

test("in Spanish, the business header and the team's and users' messages are in Spanish", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/team"));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const header = page.locator(".biz-header .meta");
  await expect(header).toContainText("tu rol: superadministrador");
  await expect(header).not.toContainText("you are");

  const member = `es.staff.${Date.now()}@example.com`;
  const add = page.getByRole("form", { name: "Añadir un miembro" });
  await add.getByLabel("Correo electrónico").fill(member);
  await add.getByRole("button", { name: "Añadir miembro" }).click();
  await expect(add.getByText(`${member} se añadió como personal.`)).toBeVisible();

  const user = `es.user.${Date.now()}@example.com`;
  await page.goto("/users");
  const create = page.getByRole("form", { name: "Crear un usuario" });
  await create.getByLabel("Correo electrónico").fill(user);
  await create.getByRole("button", { name: "Crear usuario" }).click();
  await expect(create.getByText(`Se creó la cuenta ${user}.`)).toBeVisible();
});

test("a new member the API refuses keeps the email and name typed; only the password is cleared", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/team"));
  const form = page.getByRole("form", { name: "Add a member" });
  const email = `keep.${Date.now()}@example.com`;
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Name (optional)").fill("Kept Name");
  await form.getByLabel("Password (optional)").fill("password");
  await form.getByRole("button", { name: "Add member" }).click();
  // The API refuses the password (400, fields.password): nothing was added.
  await expect(form.locator(".field-error")).toBeVisible();
  expect(sql("SELECT id FROM users WHERE email = %s", [email])).toEqual([]);
  await expect(form.getByLabel("Email")).toHaveValue(email);
  await expect(form.getByLabel("Name (optional)")).toHaveValue("Kept Name");
  await expect(form.getByLabel("Password (optional)")).toHaveValue("");
});

test("in Spanish, adding someone already on the team is refused in Spanish", async ({ page }) => {
  const member = `es.dup.${Date.now()}@example.com`;
  await api(token, "POST", `/businesses/${businessId}/staff`, { email: member, role: "staff" });
  await signIn(page);
  await page.goto(biz("/team"));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const form = page.getByRole("form", { name: "Añadir un miembro" });
  await form.getByLabel("Correo electrónico").fill(member);
  await form.getByRole("button", { name: "Añadir miembro" }).click();
  await expect(form.locator(".notice.error")).toHaveText("Esta persona ya es miembro de este negocio.");
  await expect(form.getByLabel("Correo electrónico")).toHaveValue(member);
});

test("in Spanish, a new member's fields the API refuses are explained in Spanish", async ({ page }) => {
  await signIn(page);
  await page.goto(biz("/team"));
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  const form = page.getByRole("form", { name: "Añadir un miembro" });
  // Each refused by the API in English: fields.email, fields.name and fields.password.
  await form.getByLabel("Correo electrónico").fill("not-an-email");
  await form.getByLabel("Nombre (opcional)").fill("N".repeat(201));
  await form.getByLabel("Contraseña (opcional)").fill("password");
  await form.getByRole("button", { name: "Añadir miembro" }).click();
  await expect(form.locator(".notice.error")).toHaveText("No se ha guardado nada: corrige los campos marcados.");
  await expect(form.locator(".field-error")).toHaveText([
    "Escribe una dirección de correo electrónico, p. ej. ana@example.com.",
    "El nombre puede tener como máximo 200 caracteres.",
    "Esa contraseña es demasiado común.",
  ]);
});

test("a New York business reads its chat times the American way, in both languages", async ({ page }) => {
  const numberId = `ny-${Date.now()}`;
  const ny = await api<{ id: number }>(token, "POST", "/businesses", {
    name: "Brooklyn Barbers",
    whatsapp_number_id: numberId,
    timezone: "America/New_York",
  });
  const waId = "12125550123";
  await postWebhook({
    metadata: { display_phone_number: "12125550100", phone_number_id: numberId },
    contacts: [{ profile: { name: "Nora York" }, wa_id: waId }],
    messages: [
      {
        from: waId,
        id: `wamid.e2e.ny.${Date.now()}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: "text",
        text: { body: "any chairs free this afternoon?" },
      },
    ],
  });
  const [customer] = sql<{ id: number }>(
    // 15:05 in New York on 2 March 2026 (EST, UTC-5).
    "UPDATE messages SET created_at = '2026-03-02 20:05:00+00'" +
      " WHERE business_id = %s AND direction = 'in' RETURNING customer_id AS id",
    [ny.id],
  );
  expect(customer).toBeDefined();

  await signIn(page);
  await page.goto(`/businesses/${ny.id}/conversations/${customer!.id}`);
  const time = page.getByTestId("thread").getByTestId("bubble-in").first().locator("time");
  await expect(time).toHaveText(/^03:05\sPM$/);
  await page.getByRole("button", { name: "Español" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(time).toHaveText(/^03:05\sp\.\s?m\.$/);
});
