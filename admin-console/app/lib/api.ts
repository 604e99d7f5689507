import "server-only";

import { headers as requestHeaders } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";

import type {
  AddedMember,
  ApiErrorBody,
  Appointment,
  AppointmentDetail,
  BlockedTime,
  Business,
  BusinessSettings,
  BusinessSummary,
  CalendarHealth,
  Conversation,
  Erasure,
  LlmBreaker,
  LoginResponse,
  Me,
  Message,
  MemberRole,
  NewUser,
  Overview,
  Page,
  ReferenceDocument,
  ReferenceVersion,
  Role,
  SandboxMessage,
  Service,
  ServiceInput,
  StaffMember,
  Thread,
  Usage,
  User,
} from "./definitions";
import { loggedPath } from "./log-path";
import { expiredLogin, PAGE_HEADER } from "./next-path";
import { mustChoosePassword, PASSWORD_PAGE, passwordPage } from "./password";
import { UNREACHABLE } from "./problems";
import { retryClosedOnce } from "./retry";
import { readToken } from "./session";

// The only module that talks to the Flask admin API; it runs on the server alone.

/** An error answer of the API, in its one shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly body: Partial<ApiErrorBody> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Init = {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  timeoutMs?: number;
};

function baseUrl(): string {
  const url = process.env.ADMIN_API_URL;
  if (!url) throw new Error("ADMIN_API_URL is not set (e.g. http://127.0.0.1:8000)");
  return `${url.replace(/\/+$/, "")}/api/admin`;
}

async function request<T>(path: string, init: Init = {}): Promise<T> {
  const token = init.token === undefined ? await readToken() : init.token;
  if (init.token === undefined && !token) redirect("/login");
  const headers: Record<string, string> = { Accept: "application/json", ...init.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  const method = init.method ?? "GET";
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  const signal = AbortSignal.timeout(init.timeoutMs ?? 15_000); // for both tries together
  let response: Response;
  try {
    response = await retryClosedOnce(
      method,
      () => fetch(`${baseUrl()}${path}`, { method, headers, body: payload, cache: "no-store", signal }),
      () => console.warn(`admin API ${method} ${loggedPath(path)}: the connection was closed; sending it again`),
      "Idempotency-Key" in headers,
    );
  } catch (error) {
    console.error(`admin API ${method} ${loggedPath(path)} failed:`, error);
    // Its reason is said in the reader's language (app/lib/problems.ts); the message is for logs.
    throw new ApiError(503, "the admin API cannot be reached", {}, { reason: UNREACHABLE });
  }
  // An expired or revoked session: sign in again, then back to this page (login itself answers
  // 401 for bad passwords).
  if (response.status === 401 && init.token === undefined) redirect(expiredLogin(await currentPage()));
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => null);
  // A password someone else set: nothing but choosing one's own until then (app/lib/password.ts).
  if (init.token === undefined && mustChoosePassword(response.status, body)) {
    const page = await currentPage();
    if (!page?.startsWith(PASSWORD_PAGE)) redirect(passwordPage(page));
  }
  if (!response.ok) {
    const error = (body ?? {}) as Partial<ApiErrorBody>;
    throw new ApiError(response.status, error.message || response.statusText, error.fields ?? {}, error);
  }
  return body as T;
}

/** The console page this request is for (path and query, from `proxy.ts`), if known. */
async function currentPage(): Promise<string | null> {
  try {
    return (await requestHeaders()).get(PAGE_HEADER);
  } catch {
    return null; // outside a request
  }
}

/** Run a read for a page: 404 becomes the not-found page, anything else a user-safe error. */
async function load<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 404) notFound();
    console.error(`could not load ${what}: ${error.status} ${error.message}`);
    throw new Error(`Could not load ${what}.`);
  }
}

const biz = (id: number | string) => `/businesses/${encodeURIComponent(String(id))}`;

// Sessions

export async function login(email: string, password: string, clientIp?: string) {
  const headers: Record<string, string> = clientIp ? { "X-Forwarded-For": clientIp } : {};
  return request<LoginResponse>("/auth/login", {
    method: "POST",
    body: { email, password },
    token: null,
    headers,
  });
}

export async function logout(token: string) {
  return request<void>("/auth/logout", { method: "POST", token });
}

export const fetchMe = cache(async () => load("your account", () => request<Me>("/me")));

/** Change the caller's own password (400 with `fields` naming what is wrong; 429 throttled). The
 * browser's address goes with it, as with signing in: wrong current passwords count against the
 * same per-address limit (not against the console's own address, which every user shares). */
export async function changePassword(currentPassword: string, newPassword: string, clientIp?: string) {
  return request<void>("/auth/password", {
    method: "POST",
    body: { current_password: currentPassword, new_password: newPassword },
    headers: clientIp ? { "X-Forwarded-For": clientIp } : {},
  });
}

// Businesses and settings

export const fetchBusinesses = cache(async () =>
  load("businesses", async () => (await request<{ businesses: BusinessSummary[] }>("/businesses")).businesses),
);

/** The caller's role in one business; a business they cannot see is not found. */
export async function fetchRole(businessId: number): Promise<Role> {
  const summary = (await fetchBusinesses()).find((b) => b.id === businessId);
  if (!summary) notFound();
  return summary.role;
}

export const fetchBusiness = cache(async (id: number) => load("the business", () => request<Business>(biz(id))));

export async function updateBusiness(id: number, settings: BusinessSettings) {
  return request<Business>(biz(id), { method: "PATCH", body: settings });
}

export async function replaceServices(id: number, services: ServiceInput[]) {
  return request<{ services: Service[] }>(`${biz(id)}/services`, { method: "PUT", body: { services } });
}

export async function fetchPromptPreview(id: number, customerName?: string) {
  const query = customerName ? `?${new URLSearchParams({ customer_name: customerName })}` : "";
  return load("the prompt preview", async () => {
    const body = await request<{ system_prompt: string }>(`${biz(id)}/prompt-preview${query}`);
    return body.system_prompt;
  });
}

// Reference document and model usage

export async function fetchReferenceDocument(id: number, version?: number) {
  const query = version ? `?${new URLSearchParams({ version: String(version) })}` : "";
  return load("the reference document", () => request<ReferenceDocument>(`${biz(id)}/reference-document${query}`));
}

export async function fetchReferenceVersions(id: number) {
  return load("the document's versions", async () => {
    const body = await request<{ versions: ReferenceVersion[] }>(`${biz(id)}/reference-document/versions`);
    return body.versions;
  });
}

export async function saveReferenceDocument(id: number, content: string) {
  return request<ReferenceDocument>(`${biz(id)}/reference-document`, { method: "PUT", body: { content } });
}

export async function importWebsite(id: number, url: string) {
  // The API crawls the site inside the request (WEBSITE_IMPORT_TIME_LIMIT, 30 s by default).
  return request<ReferenceDocument>(`${biz(id)}/reference-document/import`, {
    method: "POST",
    body: { url },
    timeoutMs: 120_000,
  });
}

export const fetchUsage = cache(async (id: number) => load("usage", () => request<Usage>(`${biz(id)}/usage`)));

/** Usage for the budget warning, or null when it cannot be read (the warning is then left out). */
/** Six months of usage for the overview, or null for a reader who may not see it (staff). */
export async function fetchUsageForOverview(id: number): Promise<Usage | null> {
  try {
    return await request<Usage>(`${biz(id)}/usage?months=6`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status !== 403) console.error(`could not read usage for the overview: ${error.status} ${error.message}`);
    return null;
  }
}

export async function fetchUsageForWarning(id: number): Promise<Usage | null> {
  try {
    return await request<Usage>(`${biz(id)}/usage?months=1`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`could not read usage for the budget warning: ${error.status} ${error.message}`);
    return null;
  }
}

// Conversations

export const CONVERSATIONS_PER_PAGE = 20;

export async function fetchConversations(id: number, query: string, page: number) {
  const params = new URLSearchParams({ page: String(page), per_page: String(CONVERSATIONS_PER_PAGE) });
  if (query) params.set("q", query);
  return load("conversations", () =>
    request<Page<"conversations", Conversation>>(`${biz(id)}/conversations?${params}`),
  );
}

export async function fetchThread(id: number, customerId: number, before?: number) {
  const params = new URLSearchParams({ limit: "200" });
  if (before) params.set("before", String(before));
  return load("the conversation", () => request<Thread>(`${biz(id)}/conversations/${customerId}?${params}`));
}

export async function setBotPaused(id: number, customerId: number, paused: boolean) {
  const verb = paused ? "pause" : "resume";
  return request<unknown>(`${biz(id)}/conversations/${customerId}/${verb}`, { method: "POST" });
}

/** Erase a customer on their request (messages, name and number; upcoming appointments). */
export async function eraseCustomer(id: number, customerId: number) {
  return request<Erasure>(`${biz(id)}/conversations/${customerId}/erase`, { method: "POST" });
}

/** Everything stored about one customer (an access request), as the API exports it. */
export async function fetchCustomerExport(id: number, customerId: number) {
  return request<Record<string, unknown>>(`${biz(id)}/conversations/${customerId}/export`);
}

/** Answer the customer as the signed-in staff member (409 when the channel forbids it now). */
export async function sendStaffMessage(id: number, customerId: number, text: string) {
  return request<{ message: Message }>(`${biz(id)}/conversations/${customerId}/messages`, {
    method: "POST",
    body: { text },
  });
}

// Appointments

/** Every appointment between two local dates (inclusive), following the API's pages. */
export async function fetchAppointments(id: number, from: string, to: string) {
  return load("appointments", async () => {
    const all: Appointment[] = [];
    for (let page = 1; page <= 50; page++) {
      const params = new URLSearchParams({ from, to, page: String(page), per_page: "100" });
      const body = await request<Page<"appointments", Appointment>>(`${biz(id)}/appointments?${params}`);
      all.push(...body.appointments);
      if (body.appointments.length === 0 || all.length >= body.total) break;
    }
    return all;
  });
}

export async function setCustomerReminders(id: number, customerId: number, enabled: boolean) {
  return request<unknown>(`${biz(id)}/customers/${customerId}/reminders`, { method: "PUT", body: { enabled } });
}

/** One appointment with the status of each of its reminders. */
export async function fetchAppointment(id: number, appointmentId: number) {
  return load(
    "the appointment",
    async () =>
      (await request<{ appointment: AppointmentDetail }>(`${biz(id)}/appointments/${appointmentId}`)).appointment,
  );
}

export async function setAppointmentReminders(id: number, appointmentId: number, enabled: boolean) {
  return request<unknown>(`${biz(id)}/appointments/${appointmentId}/reminders`, {
    method: "PUT",
    body: { enabled },
  });
}

export async function cancelAppointment(id: number, appointmentId: number, notify: boolean) {
  return request<{ notified: boolean }>(`${biz(id)}/appointments/${appointmentId}/cancel`, {
    method: "POST",
    body: { notify },
  });
}

export type NewBooking = { service: number; starts_at: string; customer_name: string; customer_phone?: string };

/** `requestKey`: the Idempotency-Key of this booking (a retry with it answers the first one's). */
export async function createAppointment(id: number, booking: NewBooking, requestKey?: string) {
  return request<{ appointment: AppointmentDetail }>(`${biz(id)}/appointments`, {
    method: "POST",
    body: booking,
    headers: requestKey ? { "Idempotency-Key": requestKey } : {},
  });
}

export async function moveAppointment(id: number, appointmentId: number, startsAt: string) {
  return request<{ appointment: AppointmentDetail; notified: boolean }>(`${biz(id)}/appointments/${appointmentId}`, {
    method: "PATCH",
    body: { starts_at: startsAt },
  });
}

export async function markNoShow(id: number, appointmentId: number) {
  return request<{ appointment: AppointmentDetail }>(`${biz(id)}/appointments/${appointmentId}/no-show`, {
    method: "POST",
  });
}

/** Free starts of a service on a local date: the bot's own availability. */
export async function fetchSlots(id: number, serviceId: number, date: string) {
  const params = new URLSearchParams({ service: String(serviceId), date });
  return request<{ slots: string[]; reason: string | null }>(`${biz(id)}/slots?${params}`);
}

export async function fetchBlockedTimes(id: number, from: string, to: string) {
  const params = new URLSearchParams({ from, to });
  return load(
    "blocked times",
    async () => (await request<{ blocked_times: BlockedTime[] }>(`${biz(id)}/blocked-times?${params}`)).blocked_times,
  );
}

export async function createBlockedTime(id: number, block: { starts_at: string; ends_at: string; reason: string }) {
  return request<{ blocked_time: BlockedTime; overlapping_appointments: number }>(`${biz(id)}/blocked-times`, {
    method: "POST",
    body: block,
  });
}

export async function deleteBlockedTime(id: number, blockId: number) {
  return request<void>(`${biz(id)}/blocked-times/${blockId}`, { method: "DELETE" });
}

/** Whether the business's calendar is up to date, or null when it cannot be read (no warning then). */
export async function fetchCalendarHealth(id: number): Promise<CalendarHealth | null> {
  try {
    return await request<CalendarHealth>(`${biz(id)}/calendar`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`could not read the calendar's status: ${error.status} ${error.message}`);
    return null;
  }
}

export async function fetchOverview(id: number, date?: string) {
  const query = date ? `?${new URLSearchParams({ date })}` : "";
  return load("the overview", () => request<Overview>(`${biz(id)}/overview${query}`));
}

// Staff and users

export async function fetchStaff(id: number) {
  return load("the team", async () => (await request<{ staff: StaffMember[] }>(`${biz(id)}/staff`)).staff);
}

export async function addStaff(
  id: number,
  input: { email: string; name?: string; password?: string; role?: MemberRole },
) {
  return request<AddedMember>(`${biz(id)}/staff`, { method: "POST", body: input });
}

export async function removeStaff(id: number, userId: number) {
  return request<void>(`${biz(id)}/staff/${userId}`, { method: "DELETE" });
}

export async function fetchUsers() {
  return load("users", async () => (await request<{ users: User[] }>("/users")).users);
}

export async function createUser(input: { email: string; name?: string; password?: string; is_superadmin?: boolean }) {
  return request<NewUser>("/users", { method: "POST", body: input });
}

export async function updateUser(userId: number, change: { active?: boolean; is_superadmin?: boolean }) {
  return request<User>(`/users/${userId}`, { method: "PATCH", body: change });
}

export async function deleteUser(userId: number) {
  return request<void>(`/users/${userId}`, { method: "DELETE" });
}

// Model providers

/** The model providers' breakers (superadmin), or null when they cannot be read. */
export async function fetchLlmBreakers(): Promise<LlmBreaker[] | null> {
  try {
    return (await request<{ breakers: LlmBreaker[] }>("/llm-breakers")).breakers;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    console.error(`could not read the model breakers: ${error.status} ${error.message}`);
    return null;
  }
}

// "Try the bot": a sandbox customer of the signed-in user, whose replies never go to WhatsApp

type SandboxThread = { messages: SandboxMessage[] };

/** The sandbox thread, or null when this API has no sandbox yet. */
export async function fetchSandbox(id: number): Promise<SandboxMessage[] | null> {
  try {
    return (await request<SandboxThread>(`${biz(id)}/sandbox/messages`)).messages;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    if (error instanceof ApiError) {
      console.error(`could not load the sandbox: ${error.status} ${error.message}`);
      throw new Error("Could not load the test chat.");
    }
    throw error;
  }
}

export async function sendSandboxMessage(id: number, text: string) {
  // One real turn of the agent: give it longer than a plain read.
  const body = await request<SandboxThread>(`${biz(id)}/sandbox/messages`, {
    method: "POST",
    body: { text },
    timeoutMs: 60_000,
  });
  return body.messages;
}

export async function resetSandbox(id: number) {
  return request<void>(`${biz(id)}/sandbox`, { method: "DELETE" });
}
