import { useId } from "react";
import { useTranslations } from "use-intl/react";

import type { ActionResult } from "@/app/lib/definitions";
import { useFailureText } from "@/app/ui/use-problem-text";

type Common = {
  label: React.ReactNode;
  error?: string;
  hint?: string;
  className?: string;
  hideLabel?: boolean;
  /** Mark the input invalid, its message being shown elsewhere (in the element with this id). */
  invalidBy?: string;
};

type InputProps = Common & Omit<React.InputHTMLAttributes<HTMLInputElement>, "className">;

/** A labelled input whose API error sits right under it (and is announced with it). */
export function Field({ label, error, hint, className, hideLabel, invalidBy, ...input }: InputProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null, invalidBy ?? null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id} className={hideLabel ? "visually-hidden" : undefined}>
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error || invalidBy ? true : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

type AreaProps = Omit<Common, "hideLabel" | "invalidBy"> &
  Omit<React.TextareaHTMLAttributes<HTMLTextAreaElement>, "className">;

export function AreaField({ label, error, hint, className, ...area }: AreaProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...area} />
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

export function SaveBar({
  pending,
  result,
  label,
  leftover = [],
}: {
  pending: boolean;
  result: ActionResult<unknown> | null;
  label?: string;
  leftover?: [string, string][];
}) {
  const t = useTranslations("form");
  const failureText = useFailureText();
  return (
    <div className="form-actions">
      <button type="submit" disabled={pending}>
        {pending ? t("saving") : (label ?? t("save"))}
      </button>
      <span aria-live="polite">
        {result?.ok ? <span className="notice ok">{result.message ?? t("saved")}</span> : null}
        {result && !result.ok ? (
          <span className="notice error" role="alert">
            {leftover.length || result.message.startsWith("invalid fields") ? t("fixFields") : failureText(result)}
          </span>
        ) : null}
      </span>
      {leftover.length ? (
        <ul className="field-error" style={{ flexBasis: "100%", margin: 0 }}>
          {leftover.map(([path, message]) => (
            <li key={path}>
              {path}: {message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** An integer when the text is one, else the text itself, so the API names the bad field. */
export function intOrRaw(text: string): number | string {
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}
