"use client";

import { useActionState } from "react";
import { useTranslations } from "use-intl/react";

import { changePassword } from "@/app/lib/actions";
import { Field } from "@/app/ui/settings/field";
import { FormOutcome } from "@/app/ui/form-outcome";

/** Current password, new password and its confirmation; each API error under its field. With
 * `next` (the forced choice) success goes on to that page. */
export function PasswordForm({ next, email }: { next?: string; email: string }) {
  const [state, action, pending] = useActionState(changePassword, undefined);
  const t = useTranslations("password");
  const fields = state && !state.ok ? (state.fields ?? {}) : {};
  return (
    <form action={action} className="stack" noValidate>
      {next !== undefined ? <input type="hidden" name="next" value={next} /> : null}
      {/* For password managers: the account whose password this is. */}
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field
        label={t("current")}
        name="current_password"
        type="password"
        autoComplete="current-password"
        required
        hint={t("currentHint")}
        error={fields.current_password}
      />
      <Field
        label={t("new")}
        name="new_password"
        type="password"
        autoComplete="new-password"
        required
        hint={t("newHint")}
        error={fields.new_password}
      />
      <Field
        label={t("confirm")}
        name="confirm_password"
        type="password"
        autoComplete="new-password"
        required
        error={fields.confirm_password}
      />
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? t("busy") : t("submit")}
        </button>
        <FormOutcome state={state} />
      </div>
    </form>
  );
}
