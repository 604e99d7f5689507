import Link from "next/link";

import { fetchUsageForWarning } from "@/app/lib/api";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";

import { budgetSentence } from "./format";

/** A banner on every page of a business that has used 80% or more of its monthly token budget. */
export async function BudgetWarning({ businessId }: { businessId: number }) {
  const usage = await fetchUsageForWarning(businessId);
  if (!usage?.current_month.warning) return null;
  const t = await getT("usage");
  const locale = businessLocale(await getLang(), usage.timezone);
  return (
    <p
      className={`notice ${usage.current_month.over_budget ? "error" : "warn"}`}
      role="status"
      data-testid="budget-warning"
    >
      {budgetSentence(usage, t, locale)} <Link href={`/businesses/${businessId}/usage`}>{t("see")}</Link>
    </p>
  );
}
