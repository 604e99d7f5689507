"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";

import * as api from "./api";
import type {
  ActionResult,
  BlockedTime,
  BusinessSettings,
  MemberRole,
  ReferenceDocument,
  SandboxMessage,
  Service,
  ServiceInput,
} from "./definitions";
import type { Messages } from "@/app/messages/en";
import { getT } from "./i18n";
import { isLang } from "./locale";
import { safeNext } from "./next-path";
import { checkPasswordForm, passwordFieldError, passwordPage, type PasswordError, sayPasswordError } from "./password";
import { fieldKey } from "./problems";
import { clearToken, clientAddress, readToken, saveLanguage, saveToken } from "./session";

// Server actions: the forms' only way to change anything. Each calls the API with the caller's
// own token, so the API's permission checks are the ones that count.

/** A message of the `actions` namespace in the reader's language. */
async function say(key: keyof Messages["actions"]): Promise<string> {
  return (await getT("actions"))(key);
}

function assertId(value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new Error("bad id");
}

/** Run one API write and describe its outcome for the form that asked for it. */
async function attempt<T>(run: () => Promise<T>, done: string): Promise<ActionResult<T>> {
  try {
    return { ok: true, message: done, data: await run() };
  } catch (error) {
    if (!(error instanceof api.ApiError)) throw error;
    return failed(error);
  }
}

/** An API error as a form is told it: the API's words, its bad fields and its reason, which
 * app/lib/problems.ts says in the reader's language. */
async function failed(error: api.ApiError): Promise<ActionResult> {
  if (error.status === 403) return { ok: false, message: await say("forbidden") };
  if (error.status === 404) return { ok: false, message: await say("gone") };
  const fields = Object.keys(error.fields).length ? error.fields : undefined;
  const { reason, alternatives } = error.body;
  const refusal = reason ? { reason, alternatives: alternatives ?? [] } : undefined;
  if (!error.message) return { ok: false, message: await say("refused"), fields, refusal };
  return { ok: false, message: error.message, fields, refusal, fromApi: true };
}

/** The outcome without its payload, for forms that only report success. */
function bare<T>(result: ActionResult<T>): ActionResult {
  return result.ok ? { ok: true, message: result.message } : result;
}

export async function signIn(_prev: ActionResult | undefined, form: FormData): Promise<ActionResult> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) {
    return {
      ok: false,
      message: await say("credentials"),
      fields: {
        ...(email ? {} : { email: "required" }),
        ...(password ? {} : { password: "required" }),
      },
    };
  }
  let mustChoose = false;
  try {
    const session = await api.login(email, password, await clientAddress());
    await saveToken(session.token, session.expires_at);
    mustChoose = session.user.password_change_required === true;
  } catch (error) {
    if (!(error instanceof api.ApiError)) throw error;
    if (error.status === 401) return { ok: false, message: await say("wrongLogin") };
    if (error.status === 429) return { ok: false, message: await say("throttled") };
    return failed(error);
  }
  // Only a path of this console: never bounce a fresh session to another site.
  const next = safeNext(form.get("next"));
  // A password someone else set: the holder chooses their own before anything else.
  redirect(mustChoose ? passwordPage(next) : next);
}

/**
 * Choose or change one's own password. With a `next` field (the forced choice after signing in
 * with a password someone else set) success goes on to that page; without, the form says so.
 * Field errors come back in the reader's words, each under its field.
 */
export async function changePassword(_prev: ActionResult | undefined, form: FormData): Promise<ActionResult> {
  const current = String(form.get("current_password") ?? "");
  const next = String(form.get("new_password") ?? "");
  const confirm = String(form.get("confirm_password") ?? "");
  const t = await getT("password");
  const inWords = (errors: Record<string, PasswordError>) =>
    Object.fromEntries(
      Object.entries(errors).map(([field, error]) => [field, sayPasswordError(error, (k, v) => t(`errors.${k}`, v))]),
    );
  const local = checkPasswordForm(current, next, confirm);
  if (Object.keys(local).length) return { ok: false, message: t("fixFields"), fields: inWords(local) };
  try {
    await api.changePassword(current, next, await clientAddress());
  } catch (error) {
    if (!(error instanceof api.ApiError)) throw error;
    if (error.status === 429) return { ok: false, message: (await getT("actions"))("throttled") };
    if (error.status === 400 && Object.keys(error.fields).length) {
      const errors = Object.fromEntries(
        Object.entries(error.fields).map(([field, text]) => [field, passwordFieldError(field, text)]),
      );
      return { ok: false, message: t("fixFields"), fields: inWords(errors) };
    }
    return failed(error);
  }
  revalidatePath("/", "layout");
  const then = form.get("next");
  if (typeof then === "string" && then) redirect(safeNext(then));
  return { ok: true, message: t("changed") };
}

export async function signOut(): Promise<void> {
  const token = await readToken();
  if (token) {
    // Revoke it on the API too; the cookie goes whatever the answer.
    await api.logout(token).catch((error: unknown) => console.error("logout failed:", error));
  }
  await clearToken();
  redirect("/login");
}

export async function saveSettings(businessId: number, settings: BusinessSettings): Promise<ActionResult> {
  assertId(businessId);
  const result = await attempt(() => api.updateBusiness(businessId, settings), await say("saved"));
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function saveServices(businessId: number, services: ServiceInput[]): Promise<ActionResult<Service[]>> {
  assertId(businessId);
  const result = await attempt(
    async () => (await api.replaceServices(businessId, services)).services,
    await say("servicesSaved"),
  );
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return result;
}

export async function saveReferenceDocument(
  businessId: number,
  content: string,
): Promise<ActionResult<ReferenceDocument>> {
  assertId(businessId);
  if (typeof content !== "string") return { ok: false, message: await say("documentText") };
  const result = await attempt(() => api.saveReferenceDocument(businessId, content), await say("savedVersion"));
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return result;
}

export async function importWebsite(businessId: number, url: string): Promise<ActionResult<ReferenceDocument>> {
  assertId(businessId);
  if (typeof url !== "string" || !url.trim()) return { ok: false, message: await say("siteAddress") };
  const result = await attempt(() => api.importWebsite(businessId, url.trim()), await say("imported"));
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return result;
}

/** Set the monthly token budget (superadmin): a whole number, or "" for unlimited. */
export async function setTokenBudget(businessId: number, budget: string): Promise<ActionResult> {
  assertId(businessId);
  const text = typeof budget === "string" ? budget.trim() : "";
  // A whole number goes as one; anything else as typed, so the API names the bad field.
  const value = text === "" ? null : /^\d+$/.test(text) ? Number(text) : text;
  const result = await attempt(
    () => api.updateBusiness(businessId, { monthly_token_budget: value as number | null }),
    value === null ? await say("budgetUnlimited") : await say("budgetSaved"),
  );
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function setBotPaused(businessId: number, customerId: number, paused: boolean): Promise<ActionResult> {
  assertId(businessId);
  assertId(customerId);
  const done = paused ? await say("paused") : await say("resumed");
  const result = await attempt(() => api.setBotPaused(businessId, customerId, paused === true), done);
  revalidatePath(`/businesses/${businessId}/conversations`, "layout");
  return bare(result);
}

export async function eraseCustomer(businessId: number, customerId: number): Promise<ActionResult> {
  assertId(businessId);
  assertId(customerId);
  const result = await attempt(() => api.eraseCustomer(businessId, customerId), await say("erased"));
  revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

/** Everything stored about one customer (an access request), as the JSON text to download; a
 * refusal comes back like any other form's, for the page to say in the reader's language. */
export async function exportCustomer(businessId: number, customerId: number): Promise<ActionResult<string>> {
  assertId(businessId);
  assertId(customerId);
  try {
    return { ok: true, data: JSON.stringify(await api.fetchCustomerExport(businessId, customerId), null, 2) };
  } catch (error) {
    if (!(error instanceof api.ApiError)) throw error;
    return failed(error);
  }
}

export async function setCustomerReminders(
  businessId: number,
  customerId: number,
  enabled: boolean,
): Promise<ActionResult> {
  assertId(businessId);
  assertId(customerId);
  const done = enabled ? await say("customerRemindersOn") : await say("customerRemindersOff");
  const result = await attempt(() => api.setCustomerReminders(businessId, customerId, enabled === true), done);
  revalidatePath(`/businesses/${businessId}/conversations`, "layout");
  return bare(result);
}

export async function setAppointmentReminders(
  businessId: number,
  appointmentId: number,
  enabled: boolean,
): Promise<ActionResult> {
  assertId(businessId);
  assertId(appointmentId);
  const done = enabled ? await say("appointmentRemindersOn") : await say("appointmentRemindersOff");
  const result = await attempt(() => api.setAppointmentReminders(businessId, appointmentId, enabled === true), done);
  revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function sendStaffMessage(businessId: number, customerId: number, text: string): Promise<ActionResult> {
  assertId(businessId);
  assertId(customerId);
  if (typeof text !== "string" || !text.trim()) return { ok: false, message: await say("writeReply") };
  const result = await attempt(() => api.sendStaffMessage(businessId, customerId, text.trim()), await say("replySent"));
  revalidatePath(`/businesses/${businessId}/conversations`, "layout");
  return bare(result);
}

export async function cancelAppointment(
  businessId: number,
  appointmentId: number,
  notify: boolean,
): Promise<ActionResult> {
  assertId(businessId);
  assertId(appointmentId);
  const result = await attempt(
    () => api.cancelAppointment(businessId, appointmentId, notify === true),
    await say("cancelled"),
  );
  revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function sendSandboxMessage(businessId: number, text: string): Promise<ActionResult<SandboxMessage[]>> {
  assertId(businessId);
  if (typeof text !== "string" || !text.trim()) return { ok: false, message: await say("writeMessage") };
  const result = await attempt(() => api.sendSandboxMessage(businessId, text.trim()), "");
  // A turn can book or cancel: the appointments and conversations pages must not be stale.
  revalidatePath(`/businesses/${businessId}`, "layout");
  return result;
}

export async function resetSandbox(businessId: number): Promise<ActionResult> {
  assertId(businessId);
  const result = await attempt(() => api.resetSandbox(businessId), await say("sandboxReset"));
  return bare(result);
}

export type NewMemberResult = ActionResult<{ email: string; password?: string }>;

/** A refused new member's bad fields in the reader's words, each shown under its field, and the
 * form's "fix the fields" above them; the API's words stay only for a field not known here. */
async function memberFailure(result: NewMemberResult & { ok: false }): Promise<NewMemberResult> {
  if (!result.fields || result.refusal) return result;
  const [problems, password, form] = await Promise.all([getT("problems"), getT("password"), getT("form")]);
  const inWords = ([field, text]: [string, string]) => {
    if (field === "password") {
      return sayPasswordError(passwordFieldError(field, text), (k, v) => password(`errors.${k}`, v));
    }
    const key = fieldKey(field, text);
    return key ? problems(key) : text;
  };
  const fields = Object.fromEntries(Object.entries(result.fields).map((entry) => [entry[0], inWords(entry)]));
  return { ok: false, message: form("fixFields"), fields };
}

export async function addStaff(
  businessId: number,
  _prev: NewMemberResult | undefined,
  form: FormData,
): Promise<NewMemberResult> {
  assertId(businessId);
  const email = String(form.get("email") ?? "").trim();
  const name = String(form.get("name") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const role = (form.get("role") === "owner" ? "owner" : "staff") as MemberRole;
  const roleName = (await getT("common"))(`roles.${role}`);
  const result = await attempt(
    () => api.addStaff(businessId, { email, role, ...(name && { name }), ...(password && { password }) }),
    (await getT("actions"))("addedAs", { email, role: roleName }),
  );
  if (!result.ok) return memberFailure(result);
  revalidatePath(`/businesses/${businessId}/team`);
  return { ok: true, message: result.message, data: { email, password: result.data?.password } };
}

export async function removeStaff(businessId: number, userId: number): Promise<ActionResult> {
  assertId(businessId);
  assertId(userId);
  const result = await attempt(() => api.removeStaff(businessId, userId), await say("removed"));
  revalidatePath(`/businesses/${businessId}/team`);
  return bare(result);
}

export async function createUser(_prev: NewMemberResult | undefined, form: FormData): Promise<NewMemberResult> {
  const email = String(form.get("email") ?? "").trim();
  const name = String(form.get("name") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const isSuperadmin = form.get("is_superadmin") === "on";
  const result = await attempt(
    () => api.createUser({ email, is_superadmin: isSuperadmin, ...(name && { name }), ...(password && { password }) }),
    (await getT("actions"))("userCreated", { email }),
  );
  if (!result.ok) return memberFailure(result);
  revalidatePath("/users");
  return { ok: true, message: result.message, data: { email, password: result.data?.password } };
}

export async function setUserActive(userId: number, active: boolean): Promise<ActionResult> {
  assertId(userId);
  const result = await attempt(
    () => api.updateUser(userId, { active: active === true }),
    active ? await say("activated") : await say("deactivated"),
  );
  revalidatePath("/users");
  return bare(result);
}

export async function deleteUser(userId: number): Promise<ActionResult> {
  assertId(userId);
  const result = await attempt(() => api.deleteUser(userId), await say("deleted"));
  revalidatePath("/users");
  return bare(result);
}

// The front desk

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The free starts staff may book, with the API's reason when the day has none (past,
 * beyond_horizon, …). */
export async function loadSlots(
  businessId: number,
  serviceId: number,
  date: string,
): Promise<ActionResult<{ slots: string[]; reason: string | null }>> {
  assertId(businessId);
  assertId(serviceId);
  if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date))
    return { ok: false, message: await say("chooseDate") };
  return attempt(async () => {
    const { slots, reason } = await api.fetchSlots(businessId, serviceId, date);
    return { slots, reason: reason ?? null };
  }, "");
}

/** Book for a phone or walk-in customer; `requestKey` (the API's Idempotency-Key) is the same for
 * every retry of one booking, so a request whose answer was lost does not book twice. */
export async function bookForCustomer(
  businessId: number,
  booking: { service: number; starts_at: string; customer_name: string; customer_phone: string },
  requestKey?: string,
): Promise<ActionResult<{ id: number }>> {
  assertId(businessId);
  assertId(booking.service);
  if (!ISO_INSTANT.test(String(booking.starts_at))) return { ok: false, message: await say("chooseTime") };
  const phone = String(booking.customer_phone ?? "").trim();
  const result = await attempt(
    async () =>
      (
        await api.createAppointment(
          businessId,
          {
            service: booking.service,
            starts_at: booking.starts_at,
            customer_name: String(booking.customer_name ?? ""),
            ...(phone && { customer_phone: phone }),
          },
          typeof requestKey === "string" && requestKey ? requestKey : undefined,
        )
      ).appointment,
    await say("booked"),
  );
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return result.ok ? { ok: true, message: result.message, data: { id: result.data!.id } } : result;
}

export async function moveBooking(businessId: number, appointmentId: number, startsAt: string): Promise<ActionResult> {
  assertId(businessId);
  assertId(appointmentId);
  if (!ISO_INSTANT.test(String(startsAt))) return { ok: false, message: await say("chooseTime") };
  const result = await attempt(() => api.moveAppointment(businessId, appointmentId, startsAt), await say("moved"));
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function markNoShow(businessId: number, appointmentId: number): Promise<ActionResult> {
  assertId(businessId);
  assertId(appointmentId);
  const result = await attempt(() => api.markNoShow(businessId, appointmentId), await say("noShow"));
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

export async function blockTime(
  businessId: number,
  block: { starts_at: string; ends_at: string; reason: string },
): Promise<ActionResult<{ block: BlockedTime; overlapping: number }>> {
  assertId(businessId);
  if (!ISO_INSTANT.test(String(block.starts_at)) || !ISO_INSTANT.test(String(block.ends_at))) {
    return { ok: false, message: await say("chooseBlock") };
  }
  const result = await attempt(
    () => api.createBlockedTime(businessId, { ...block, reason: String(block.reason ?? "") }),
    await say("blocked"),
  );
  if (result.ok) revalidatePath(`/businesses/${businessId}`, "layout");
  if (!result.ok) return result;
  return { ok: true, data: { block: result.data!.blocked_time, overlapping: result.data!.overlapping_appointments } };
}

export async function unblockTime(businessId: number, blockId: number): Promise<ActionResult> {
  assertId(businessId);
  assertId(blockId);
  const result = await attempt(() => api.deleteBlockedTime(businessId, blockId), await say("unblocked"));
  revalidatePath(`/businesses/${businessId}`, "layout");
  return bare(result);
}

/** Remember the reader's language for a year (the console follows it on every page). */
export async function setLanguage(form: FormData): Promise<void> {
  const lang = form.get("lang");
  if (!isLang(lang)) return;
  await saveLanguage(lang);
  revalidatePath("/", "layout");
}
