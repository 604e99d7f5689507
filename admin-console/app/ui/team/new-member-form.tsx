"use client";

import { useActionState } from "react";

import type { NewMemberResult } from "@/app/lib/actions";
import { Field } from "@/app/ui/settings/field";

type Props = {
  action: (prev: NewMemberResult | undefined, form: FormData) => Promise<NewMemberResult>;
  title: string;
  /** "owner-role": a role select (superadmins); "superadmin-flag": a superadmin checkbox. */
  extra?: "owner-role" | "superadmin-flag";
  submitLabel: string;
};

/** Invite someone by email; a generated password is shown once, here, and never again. */
export function NewMemberForm({ action, title, extra, submitLabel }: Props) {
  const [state, formAction, pending] = useActionState(action, undefined);
  const fields = state && !state.ok ? (state.fields ?? {}) : {};
  return (
    <form action={formAction} className="card" aria-label={title} noValidate>
      <h2>{title}</h2>
      <div className="fields">
        <Field label="Email" name="email" type="email" autoComplete="off" required error={fields.email} />
        <Field label="Name (optional)" name="name" autoComplete="off" error={fields.name} />
        <Field
          label="Password (optional)"
          name="password"
          type="password"
          autoComplete="new-password"
          error={fields.password}
          hint="Leave empty to generate a one-time password. A chosen one must be hard to guess (not a common password, not like the email). Ignored for existing accounts."
        />
        {extra === "owner-role" ? (
          <div className="field">
            <label htmlFor="member-role">Role</label>
            <select id="member-role" name="role" defaultValue="staff">
              <option value="staff">Staff</option>
              <option value="owner">Owner</option>
            </select>
          </div>
        ) : null}
        {extra === "superadmin-flag" ? (
          <div className="field">
            <span>Access</span>
            <label className="row" style={{ fontWeight: 400 }}>
              <input type="checkbox" name="is_superadmin" /> Superadmin
            </label>
          </div>
        ) : null}
      </div>
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? "Adding…" : submitLabel}
        </button>
        <span aria-live="polite">
          {state?.ok ? <span className="notice ok">{state.message}</span> : null}
          {state && !state.ok ? (
            <span className="notice error" role="alert">
              {state.message}
            </span>
          ) : null}
        </span>
      </div>
      {state?.ok && state.data?.password ? (
        <p className="notice warn" role="status">
          One-time password for {state.data.email}: <code data-testid="one-time-password">{state.data.password}</code>
          <br />
          Copy it now and share it privately; it will not be shown again.
        </p>
      ) : null}
    </form>
  );
}
