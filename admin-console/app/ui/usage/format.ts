import type { Usage } from "@/app/lib/definitions";
import type { Messages } from "@/app/messages/en";

// How usage is written on the page, in the reader's locale: grouped thousands, dollars with enough
// decimals to see cents' fractions.

type UsageT = (key: keyof Messages["usage"], values?: Record<string, string>) => string;

export function tokens(n: number, locale = "en-GB"): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** Dollars (prices are set in US dollars), or null when no price is set. */
export function dollars(value: string | null, locale = "en-GB"): string | null {
  if (value === null) return null;
  const n = Number(value);
  const digits = n > 0 && n < 0.01 ? 4 : 2;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

export function percent(fraction: number, locale = "en-GB"): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(fraction);
}

/** "October 2026" / "octubre de 2026" from "2026-10". */
export function monthName(month: string, locale = "en-GB"): string {
  const [year = 1970, m = 1] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(year, m - 1, 1)),
  );
}

/** The sentence the warning banner and the usage page share. */
export function budgetSentence(usage: Usage, t: UsageT, locale = "en-GB"): string {
  const current = usage.current_month;
  const budget = usage.monthly_token_budget;
  if (budget === null) return "";
  const used = t("usedOf", { used: tokens(current.total_tokens, locale), budget: tokens(budget, locale) });
  if (current.over_budget) return t("overBudget", { used });
  return t("nearBudget", { percent: percent(current.budget_used ?? 0, locale), used });
}
