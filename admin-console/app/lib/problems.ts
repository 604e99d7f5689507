import type { Refusal } from "./definitions";

// Why a booking, a move or a block was not made, as keys of the `problems` messages: the API
// answers in English with its field names ("invalid fields: ends_at (must be after starts_at)")
// and a refusal's `reason` code. No imports besides types, so unit/problems.test.mjs loads it.

/** Refusal reasons of the booking rules that have their own message (`problems.reasons`). */
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
] as const;

export type ProblemKey =
  | "endBeforeStart"
  | "blockTooLong"
  | "reasonTooLong"
  | "when"
  | "customerName"
  | "customerPhone"
  | "service"
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
};

/** What to tell the reader about a failed front-desk change. */
export function problemsOf(result: { message: string; fields?: Record<string, string>; refusal?: Refusal }): Problem[] {
  if (result.refusal) {
    const reason = result.refusal.reason as (typeof REASONS)[number];
    return [REASONS.includes(reason) ? { key: `reasons.${reason}` } : { key: "refused", detail: result.message }];
  }
  const fields = Object.entries(result.fields ?? {});
  if (!fields.length) return [{ text: result.message }];
  const found: Problem[] = [];
  for (const [field, text] of fields) {
    const key = FIELDS[field]?.find(([pattern]) => pattern.test(text))?.[1];
    const problem: Problem = key ? { key } : { key: "unknown", detail: `${field}: ${text}` };
    if (!found.some((p) => JSON.stringify(p) === JSON.stringify(problem))) found.push(problem);
  }
  return found;
}
