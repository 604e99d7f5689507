"use client";

import { useState } from "react";

import { setTokenBudget } from "@/app/lib/actions";
import { Field, SaveBar } from "@/app/ui/settings/field";
import { useSave } from "@/app/ui/settings/use-save";

/** The monthly token budget (superadmins only); empty is unlimited. */
export function BudgetForm({ businessId, budget }: { businessId: number; budget: number | null }) {
  const [value, setValue] = useState(budget === null ? "" : String(budget));
  const { pending, result, save, errorFor } = useSave();

  function submit(event: React.FormEvent) {
    event.preventDefault();
    save(() => setTokenBudget(businessId, value));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="budget-title" noValidate>
      <h2 id="budget-title">Monthly token budget</h2>
      <Field
        label="Tokens per month"
        type="number"
        inputMode="numeric"
        min={0}
        value={value}
        onChange={(event) => setValue(event.target.value)}
        error={errorFor("monthly_token_budget")}
        hint="Prompt plus completion tokens in the business's calendar month. Empty: unlimited. The console warns from 80%."
      />
      <SaveBar pending={pending} result={result} label="Save budget" />
    </form>
  );
}
