import type { Refusal } from "./definitions";

// Why a change was not made, as keys of the `problems` messages: the API answers in English with
// its field names ("invalid fields: ends_at (must be after starts_at)") and a refusal's `reason`
// code. No imports besides types, so unit/problems.test.mjs loads it.

/** The reason app/lib/api.ts gives when the admin API cannot be reached at all. */
export const UNREACHABLE = "api_unreachable";

/** Reasons that have their own message (`problems.reasons`): the booking rules' refusals, adding
 * an account whose password is not its holder's yet, and the console's own when the API is out of
 * reach. */
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
  "account_not_claimed",
  UNREACHABLE,
] as const;

export type ProblemKey =
  | "endBeforeStart"
  | "blockTooLong"
  | "reasonTooLong"
  | "when"
  | "customerName"
  | "customerPhone"
  | "service"
  | "reminderOffsets"
  | `reasons.${(typeof REASONS)[number]}`;

/** A message to translate (`detail`: the API's own words, for what is not known here), or a text
 * that is already the reader's (the console's own messages, e.g. "Your role does not allow this."). */
export type Problem = { key: ProblemKey } | { key: "unknown" | "refused"; detail: string } | { text: string };

/** A field's error as the API words it → the message that explains it (first match wins). */
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
};

/** A failed change as a form is told it (`ActionResult`). */
export type Failure = { message: string; fields?: Record<string, string>; refusal?: Refusal };

/** The message that explains one field's error as the API words it, if there is one. */
export function fieldKey(field: string, text: string): ProblemKey | undefined {
  return FIELDS[field]?.find(([pattern]) => pattern.test(text))?.[1];
}

/** The one thing to tell the reader about a failed change: its reason, else its message (the
 * API's words, or the console's own). */
export function failureOf(result: Failure): Problem {
  if (!result.refusal) return { text: result.message };
  const reason = result.refusal.reason as (typeof REASONS)[number];
  return REASONS.includes(reason) ? { key: `reasons.${reason}` } : { key: "refused", detail: result.message };
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
