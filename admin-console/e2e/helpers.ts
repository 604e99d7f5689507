import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

// What the tests need besides the browser: the API (to arrange users and WhatsApp traffic),
// dates in the business's timezone, and the screenshots folder.

export const API = (process.env.ADMIN_API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
export const ADMIN = {
  email: process.env.E2E_ADMIN_EMAIL ?? "admin@example.com",
  password: process.env.E2E_ADMIN_PASSWORD ?? "",
};
export const TZ = "Europe/Madrid";
export const ARTIFACTS = path.resolve(__dirname, "..", "artifacts");

export async function api<T = unknown>(
  token: string | null,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${API}/api/admin${route}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function apiToken(email = ADMIN.email, password = ADMIN.password): Promise<string> {
  return (await api<{ token: string }>(null, "POST", "/auth/login", { email, password })).token;
}

/**
 * Make an account whose password someone else set (an owner, a superadmin) its holder's, as if
 * they had signed in and chosen it, keeping `password`: the API lets such an account do nothing
 * else until then. (A new password must differ from the current one: through a second, then back.)
 */
export async function claimAccount(email: string, password: string): Promise<void> {
  const own = await apiToken(email, password);
  const detour = `${password} quartz lantern`;
  await api(own, "POST", "/auth/password", { current_password: password, new_password: detour });
  await api(own, "POST", "/auth/password", { current_password: detour, new_password: password });
}

/** The first business of the demo seed. */
export async function demoBusinessId(token: string): Promise<number> {
  const { businesses } = await api<{ businesses: { id: number; name: string }[] }>(token, "GET", "/businesses");
  const demo = businesses.find((b) => b.name === "Demo Salon");
  if (!demo) throw new Error("Demo Salon is not seeded");
  return demo.id;
}

/** Whether the API's contract lists the "Try the bot" endpoints. */
export async function hasSandbox(): Promise<boolean> {
  const doc = await api<{ paths: Record<string, unknown> }>(null, "GET", "/openapi.json");
  return Object.keys(doc.paths).some((p) => p.endsWith("/sandbox/messages"));
}

export async function signIn(page: Page, email = ADMIN.email, password = ADMIN.password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

export function localDate(offsetDays: number, from = new Date()): string {
  const d = new Date(from.getTime() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    d,
  );
}

/** A Tuesday–Friday at least `minDays` ahead: open in the demo hours, inside the booking horizon. */
export function weekdayAhead(minDays: number, skip: string[] = []): string {
  for (let i = minDays; i < minDays + 14; i++) {
    const date = localDate(i);
    const day = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (day >= 2 && day <= 5 && !skip.includes(date)) return date;
  }
  throw new Error("no weekday found");
}

/** Post a webhook envelope as Meta would (unsigned: the test backend runs in mock mode without APP_SECRET). */
export async function postWebhook(value: Record<string, unknown>) {
  const envelope = {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "34600000000", phone_number_id: "123456123" },
              ...value,
            },
          },
        ],
      },
    ],
  };
  const response = await fetch(`${API}/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(envelope),
  });
  expect(response.status, await response.text()).toBe(200);
}

/** A customer's text message; `writtenSecondsAgo` is how old Meta's timestamp says it is. */
export async function customerSays(waId: string, name: string, text: string, writtenSecondsAgo = 0) {
  await postWebhook({
    contacts: [{ profile: { name }, wa_id: waId }],
    messages: [
      {
        from: waId,
        id: `wamid.e2e.${Date.now()}.${Math.random().toString(36).slice(2)}`,
        timestamp: String(Math.floor(Date.now() / 1000) - writtenSecondsAgo),
        type: "text",
        text: { body: text },
      },
    ],
  });
}

/** A Messenger customer's text message to the demo business's Facebook Page (seed-demo's). */
export async function messengerSays(psid: string, text: string, pageId = "777000111") {
  const now = Date.now();
  const event = {
    sender: { id: psid },
    recipient: { id: pageId },
    timestamp: now,
    message: { mid: `mid.e2e.${now}.${Math.random().toString(36).slice(2)}`, text },
  };
  const response = await fetch(`${API}/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ object: "page", entry: [{ id: pageId, time: now, messaging: [event] }] }),
  });
  expect(response.status, await response.text()).toBe(200);
}

export async function statusUpdate(messageId: number, waId: string, status: string, errors?: unknown[]) {
  await postWebhook({
    statuses: [
      {
        id: `mock.${messageId}`,
        status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: waId,
        ...(errors ? { errors } : {}),
      },
    ],
  });
}

type ThreadMessage = { id: number; direction: "in" | "out"; body: string; status: string };

/** Wait until the bot's answer to the customer's latest message has been sent; returns the thread. */
export async function waitForReply(token: string, businessId: number, waId: string, outCount: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { conversations } = await api<{ conversations: { id: number; address: string }[] }>(
      token,
      "GET",
      `/businesses/${businessId}/conversations?q=${waId}`,
    );
    const customer = conversations.find((c) => c.address === waId);
    if (customer) {
      const thread = await api<{ messages: ThreadMessage[] }>(
        token,
        "GET",
        `/businesses/${businessId}/conversations/${customer.id}`,
      );
      const out = thread.messages.filter((m) => m.direction === "out");
      // "sent" means the (mock) send gave it its message id, so status webhooks can find it.
      if (out.length >= outCount && out[out.length - 1]?.status !== "queued") {
        return { customerId: customer.id, messages: thread.messages, out };
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no reply to ${waId} within 30 s`);
}

/** Save a full-page screenshot as artifacts/<name>-<width>.png. */
export async function shot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  // From the top, so sticky bars are drawn where they belong in a full-page capture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
}

/** Every visible control has an accessible name; the page does not scroll sideways. */
export async function checkLayoutAndLabels(page: Page) {
  const problems = await page.evaluate(() => {
    const found: string[] = [];
    const visible = (el: Element) => {
      const box = (el as HTMLElement).getBoundingClientRect();
      const style = getComputedStyle(el);
      return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
    };
    for (const el of Array.from(document.querySelectorAll("input, select, textarea"))) {
      const input = el as HTMLInputElement;
      if (input.type === "hidden" || !visible(el)) continue;
      const named =
        (input.labels?.length ?? 0) > 0 || input.getAttribute("aria-label") || input.getAttribute("aria-labelledby");
      if (!named) found.push(`unlabelled ${el.tagName.toLowerCase()} ${input.name || input.id}`);
    }
    for (const el of Array.from(document.querySelectorAll("button, a[href]"))) {
      if (!visible(el)) continue;
      const name = el.getAttribute("aria-label") || el.textContent?.trim();
      if (!name) found.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    }
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    if (overflow > 1) found.push(`page scrolls sideways by ${overflow}px`);
    return found;
  });
  expect(problems, `on ${page.url()}`).toEqual([]);
}

/** No serious or critical accessibility violation (axe-core, WCAG 2 A and AA rules). */
export async function checkAccessibility(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  // Soft: one run reports every page's violations, and the test still fails.
  expect.soft(bad, `on ${page.url()}`).toEqual([]);
}

/** Rows of one query against the test database (the backend's own driver runs it). A write
 * must say RETURNING something; it is committed. */
export function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): T[] {
  const url = process.env.E2E_DATABASE_URL;
  const python = process.env.E2E_PYTHON;
  if (!url || !python) throw new Error("E2E_DATABASE_URL and E2E_PYTHON are set by scripts/ci.sh");
  const script = [
    "import json, sys, psycopg",
    "from psycopg.rows import dict_row",
    "with psycopg.connect(sys.argv[1], row_factory=dict_row) as conn:",
    "    rows = conn.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()",
    "print(json.dumps(rows, default=str))",
  ].join("\n");
  const out = execFileSync(python, ["-c", script, url, query, JSON.stringify(params)], { encoding: "utf8" });
  return JSON.parse(out) as T[];
}

/** The UTC instant (ISO) of a Madrid wall-clock time on a date. */
export function madrid(date: string, hhmm: string): string {
  const guess = new Date(`${date}T${hhmm}:00Z`).getTime();
  let at = guess;
  for (let i = 0; i < 2; i++) {
    const seen = new Intl.DateTimeFormat("en-CA", {
      timeZone: TZ,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(at));
    const get = (type: string) => seen.find((p) => p.type === type)?.value ?? "00";
    const seenMs = new Date(
      `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}:00Z`,
    ).getTime();
    at += guess - seenMs;
  }
  return new Date(at).toISOString();
}

/** Days from `date` (YYYY-MM-DD) to the next Sunday, when the demo salon is closed. */
export function daysToSunday(date: string): number {
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  return (7 - weekday) % 7 || 7;
}

/** Open a date picker with the keyboard, move `days` ahead with the arrow keys (or press `keys`,
 * e.g. "Shift+PageDown" for a year on), pick with Enter. */
export async function pickDateWithKeyboard(page: Page, button: Locator, keys: number | string[]) {
  await button.focus();
  await page.keyboard.press("Enter");
  await expect(page.locator(".date-popover")).toBeVisible();
  for (const key of typeof keys === "number" ? Array<string>(keys).fill("ArrowRight") : keys) {
    await page.keyboard.press(key);
  }
  await page.keyboard.press("Enter");
  await expect(page.locator(".date-popover")).toHaveCount(0);
}
