import type { Usage } from "@/app/lib/definitions";

// How usage is written on the page: grouped thousands, dollars with enough decimals to see cents' fractions.

export function tokens(n: number): string {
  return new Intl.NumberFormat("en-US").format(n);
}

export function dollars(value: string | null): string {
  if (value === null) return "no price set";
  const n = Number(value);
  return `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** "October 2026" from "2026-10". */
export function monthName(month: string): string {
  const [year = 1970, m = 1] = month.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(year, m - 1, 1)),
  );
}

/** The sentence the warning banner and the usage page share. */
export function budgetSentence(usage: Usage): string {
  const current = usage.current_month;
  const budget = usage.monthly_token_budget;
  if (budget === null) return "";
  const used = `${tokens(current.total_tokens)} of ${tokens(budget)} tokens`;
  if (current.over_budget) {
    return `The monthly model budget is used up (${used}): until the month ends the bot answers without the model (services, hours, bookings and the reference document only).`;
  }
  return `${percent(current.budget_used ?? 0)} of this month's model budget is used (${used}). Over the budget, the bot answers without the model until the month ends.`;
}
