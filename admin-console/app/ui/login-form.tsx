"use client";

import { useActionState, useState } from "react";

import { signIn } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

type Labels = { email: string; password: string; submit: string; busy: string };

/** The sign-in form, its labels given by the (server) page in the reader's language. */
export function LoginForm({ next, labels }: { next: string; labels: Labels }) {
  const [state, action, pending] = useActionState(signIn, undefined);
  const failureText = useFailureText();
  // Controlled, so a failed attempt keeps the email (React resets uncontrolled fields after an action).
  const [email, setEmail] = useState("");
  const fields = state && !state.ok ? (state.fields ?? {}) : {};
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="next" value={next} />
      <div className="field">
        <label htmlFor="email">{labels.email}</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          required
          aria-invalid={fields.email ? true : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor="password">{labels.password}</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={fields.password ? true : undefined}
        />
      </div>
      {state && !state.ok ? (
        <p className="notice error" role="alert">
          {failureText(state)}
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? labels.busy : labels.submit}
      </button>
    </form>
  );
}
