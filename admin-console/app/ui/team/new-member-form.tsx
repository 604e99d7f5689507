"use client";

import { useActionState, useState } from "react";
import { useTranslations } from "use-intl/react";

import type { NewMemberResult } from "@/app/lib/actions";
import { Field } from "@/app/ui/settings/field";
import { FormOutcome } from "@/app/ui/form-outcome";

type Props = {
  action: (prev: NewMemberResult | undefined, form: FormData) => Promise<NewMemberResult>;
  title: string;
  /** "owner-role": a role select (superadmins); "superadmin-flag": a superadmin checkbox. */
  extra?: "owner-role" | "superadmin-flag";
  submitLabel: string;
};

/** Invite someone by email; a generated password is shown once, here, and never again. */
export function NewMemberForm({ action, title, extra, submitLabel }: Props) {
  const t = useTranslations("member");
  // Controlled, so a refusal keeps what was typed (React resets uncontrolled fields after an
  // action); the password alone is left to that reset. An added member clears the form.
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState("staff");
  const [superadmin, setSuperadmin] = useState(false);
  const [state, formAction, pending] = useActionState(async (prev: NewMemberResult | undefined, form: FormData) => {
    const result = await action(prev, form);
    if (result.ok) {
      setEmail("");
      setName("");
      setRole("staff");
      setSuperadmin(false);
    }
    return result;
  }, undefined);
  const fields = state && !state.ok ? (state.fields ?? {}) : {};
  return (
    <form action={formAction} className="card" aria-label={title} noValidate>
      <h2>{title}</h2>
      <div className="fields">
        <Field
          label={t("email")}
          name="email"
          type="email"
          autoComplete="off"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={fields.email}
        />
        <Field
          label={t("name")}
          name="name"
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fields.name}
        />
        <Field
          label={t("password")}
          name="password"
          type="password"
          autoComplete="new-password"
          error={fields.password}
          hint={t("passwordHint")}
        />
        {extra === "owner-role" ? (
          <div className="field">
            <label htmlFor="member-role">{t("role")}</label>
            <select id="member-role" name="role" value={role} onChange={(event) => setRole(event.target.value)}>
              <option value="staff">{t("staff")}</option>
              <option value="owner">{t("owner")}</option>
            </select>
          </div>
        ) : null}
        {extra === "superadmin-flag" ? (
          <div className="field">
            <span>{t("access")}</span>
            <label className="row" style={{ fontWeight: 400 }}>
              <input
                type="checkbox"
                name="is_superadmin"
                checked={superadmin}
                onChange={(event) => setSuperadmin(event.target.checked)}
              />{" "}
              {t("superadmin")}
            </label>
          </div>
        ) : null}
      </div>
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? t("adding") : submitLabel}
        </button>
        <FormOutcome state={state} />
      </div>
      {state?.ok && state.data?.password ? (
        <p className="notice warn" role="status">
          {t("oneTime", { email: state.data.email })} <code data-testid="one-time-password">{state.data.password}</code>
          <br />
          {t("copyNow")}
        </p>
      ) : null}
    </form>
  );
}
