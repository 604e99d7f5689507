import type { Refusal } from "./definitions";

// Why a change was not made, as keys of the `problems` messages: the API answers in English with
// its field names ("invalid fields: ends_at (must be after starts_at)") and a refusal's `reason`
// code. No imports besides types, so unit/problems.test.mjs loads it.

/** The reason app/lib/api.ts gives when the admin API cannot be reached at all. */
export const UNREACHABLE = "api_unreachable";

/** Reasons that have their own message (`problems.reasons`): the booking rules' refusals, the
 * settings', a staff reply's and the website import's, adding a member, and the console's own when
 * the API is out of reach. */
export const REASONS = [
  "full",
  "taken",
  "closed_day",
  "outside_hours",
  "not_on_step",
  "too_soon",
  "past",
  "beyond_horizon",
  "none_free",
  "already_cancelled",
  "not_started",
  "calendar_unavailable",
  // A WhatsApp number or Facebook Page another business has.
  "number_taken",
  "page_taken",
  // A staff reply the customer's channel would not deliver now, or its bad text.
  "no_channel",
  "customer_erased",
  "never_wrote",
  "no_reply_template",
  "template_too_long",
  "window_closed",
  "reply_empty",
  "reply_too_long",
  // A website import's refused address, or why no page of the site could be read.
  "bad_url",
  "not_http",
  "url_credentials",
  "private_address",
  "unknown_host",
  "port_not_allowed",
  "site_unreachable",
  "site_too_slow",
  "tls_failed",
  "robots_unreadable",
  "robots_disallowed",
  "other_site",
  "too_many_redirects",
  "http_error",
  "not_a_page",
  "page_too_large",
  "page_unreadable",
  "site_unreadable",
  // Adding a member: one already there, or an account whose password someone else set, not yet
  // chosen by its holder.
  "already_member",
  "account_not_claimed",
  // A front-desk booking's Idempotency-Key sent again with another booking.
  "idempotency_key_reused",
  UNREACHABLE,
] as const;

/** Messages that explain a field's error (`problems.<key>`): the front desk's and the reminders',
 * then the other settings', then a new member's. */
export const FIELD_PROBLEMS = [
  "endBeforeStart",
  "blockTooLong",
  "reasonTooLong",
  "when",
  "customerName",
  "customerPhone",
  "service",
  "reminderOffsets",
  "businessName",
  "displayPhone",
  "timezone",
  "language",
  "personality",
  "instructions",
  "accessToken",
  "accountId",
  "maxConcurrent",
  "slotStep",
  "buffer",
  "minNotice",
  "horizon",
  "tokenBudget",
  "serviceName",
  "serviceTwice",
  "serviceDuration",
  "price",
  "currency",
  "tooManyServices",
  "timeFormat",
  "closeTime",
  "closeBeforeOpen",
  "breakEndsFirst",
  "breakOutside",
  "breakOverlap",
  "tooManyBreaks",
  "email",
  "emailTaken",
  "memberName",
] as const;

type Reason = (typeof REASONS)[number];

export type ProblemKey = (typeof FIELD_PROBLEMS)[number] | `reasons.${Reason}`;

/** A message to translate (`detail`: the API's own words, for what is not known here), or a text
 * that is already the reader's (the console's own messages, e.g. "Your role does not allow this."). */
export type Problem = { key: ProblemKey } | { key: "unknown" | "refused"; detail: string } | { text: string };

/** A field's error as the API words it → the message that explains it (first match wins), by the
 * field's path with its list indices and weekdays as `*` (see `shapeOf`). */
const FIELDS: Record<string, [RegExp, ProblemKey][]> = {
  ends_at: [
    [/after/, "endBeforeStart"],
    [/366|at most/, "blockTooLong"],
    [/./, "when"],
  ],
  starts_at: [[/./, "when"]],
  reason: [[/./, "reasonTooLong"]],
  customer_name: [[/./, "customerName"]],
  customer_phone: [[/./, "customerPhone"]],
  service: [[/./, "service"]],
  reminder_offsets_minutes: [[/./, "reminderOffsets"]],
  // Settings (app/admin/validation.py, fields.py, schedule.py); a new member's (app/admin/people.py).
  name: [
    [/string of at most/, "memberName"],
    [/./, "businessName"],
  ],
  email: [
    [/exists already/, "emailTaken"],
    [/./, "email"],
  ],
  display_phone_number: [[/./, "displayPhone"]],
  timezone: [[/./, "timezone"]],
  language: [[/./, "language"]],
  personality: [[/./, "personality"]],
  instructions: [[/./, "instructions"]],
  access_token: [[/./, "accessToken"]],
  page_access_token: [[/./, "accessToken"]],
  whatsapp_number_id: [[/./, "accountId"]],
  messenger_page_id: [[/./, "accountId"]],
  max_concurrent: [[/./, "maxConcurrent"]],
  slot_step_minutes: [[/./, "slotStep"]],
  buffer_minutes: [[/./, "buffer"]],
  min_notice_minutes: [[/./, "minNotice"]],
  horizon_days: [[/./, "horizon"]],
  monthly_token_budget: [[/./, "tokenBudget"]],
  services: [[/./, "tooManyServices"]],
  "services.*.name": [
    [/duplicates/, "serviceTwice"],
    [/./, "serviceName"],
  ],
  "services.*.duration_minutes": [[/./, "serviceDuration"]],
  "services.*.price": [[/./, "price"]],
  "services.*.currency": [[/./, "currency"]],
  "opening_hours.*.open": [[/./, "timeFormat"]],
  "opening_hours.*.close": [
    [/after/, "closeBeforeOpen"],
    [/./, "closeTime"],
  ],
  "opening_hours.*.breaks": [[/./, "tooManyBreaks"]],
  "opening_hours.*.breaks.*": [
    [/HH:MM/, "timeFormat"],
    [/end after/, "breakEndsFirst"],
    [/inside/, "breakOutside"],
    [/overlap/, "breakOverlap"],
  ],
};

/** A field's path as FIELDS names it: "services.2.price" → "services.*.price",
 * "opening_hours.mon.breaks.0" → "opening_hours.*.breaks.*". */
function shapeOf(path: string): string {
  return path.replace(/\.(\d+|mon|tue|wed|thu|fri|sat|sun)(?=\.|$)/g, ".*");
}

/** A failed change as a form is told it (`ActionResult`); `fromApi`: its message is the API's own
 * (English) words, not the console's. */
export type Failure = { message: string; fields?: Record<string, string>; refusal?: Refusal; fromApi?: boolean };

/** The message that explains one field's error as the API words it, if there is one. */
export function fieldKey(field: string, text: string): ProblemKey | undefined {
  return FIELDS[shapeOf(field)]?.find(([pattern]) => pattern.test(text))?.[1];
}

/** The message of a reason code, if it has one (e.g. why a day has no free times). */
export function reasonKey(reason: string): ProblemKey | undefined {
  return REASONS.includes(reason as Reason) ? `reasons.${reason as Reason}` : undefined;
}

/** The one thing to tell the reader about a failed change: its reason, else its message (the
 * console's own as it is, the API's behind a translated "Refused:"). */
export function failureOf(result: Failure): Problem {
  if (!result.refusal) return result.fromApi ? { key: "refused", detail: result.message } : { text: result.message };
  const key = reasonKey(result.refusal.reason);
  return key ? { key } : { key: "refused", detail: result.message };
}

/** What to tell the reader about a failed front-desk change, each bad field explained. */
export function problemsOf(result: Failure): Problem[] {
  const fields = Object.entries(result.fields ?? {});
  if (result.refusal || !fields.length) return [failureOf(result)];
  const found: Problem[] = [];
  for (const [field, text] of fields) {
    const key = fieldKey(field, text);
    const problem: Problem = key ? { key } : { key: "unknown", detail: `${field}: ${text}` };
    if (!found.some((p) => JSON.stringify(p) === JSON.stringify(problem))) found.push(problem);
  }
  return found;
}

/** A problem in the reader's words, `t` translating the `problems` messages. */
export function sayProblem(
  problem: Problem,
  t: (key: ProblemKey | "unknown" | "refused", values?: { detail: string }) => string,
): string {
  if ("text" in problem) return problem.text;
  return "detail" in problem ? t(problem.key, { detail: problem.detail }) : t(problem.key);
}
