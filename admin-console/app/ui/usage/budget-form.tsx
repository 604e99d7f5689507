"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { setTokenBudget } from "@/app/lib/actions";
import { Field, SaveBar } from "@/app/ui/settings/field";
import { useSave } from "@/app/ui/settings/use-save";

/** The monthly token budget (superadmins only); empty is unlimited. */
export function BudgetForm({ businessId, budget }: { businessId: number; budget: number | null }) {
  const [value, setValue] = useState(budget === null ? "" : String(budget));
  const { pending, result, save, errorFor } = useSave();
  const t = useTranslations("usage");

  function submit(event: React.FormEvent) {
    event.preventDefault();
    save(() => setTokenBudget(businessId, value));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="budget-title" noValidate>
      <h2 id="budget-title">{t("budgetTitle")}</h2>
      <Field
        label={t("perMonthLabel")}
        type="number"
        inputMode="numeric"
        min={0}
        value={value}
        onChange={(event) => setValue(event.target.value)}
        error={errorFor("monthly_token_budget")}
        hint={t("budgetHint")}
      />
      <SaveBar pending={pending} result={result} label={t("save")} />
    </form>
  );
}
