"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { resetSandbox, sendSandboxMessage } from "@/app/lib/actions";
import type { SandboxMessage } from "@/app/lib/definitions";
import { useFailureText } from "@/app/ui/use-problem-text";

import { Bubble } from "./bubble";

// The example questions: messages sandbox.examples.<key>.
const EXAMPLES = ["services", "hours", "appointments"] as const;

/** "Try the bot": real turns for a sandbox customer of the signed-in user, never sent to WhatsApp. */
export function SandboxChat({
  businessId,
  timeZone,
  locale,
  initial,
}: {
  businessId: number;
  timeZone: string;
  locale: string;
  initial: SandboxMessage[];
}) {
  const t = useTranslations("sandbox");
  const failureText = useFailureText();
  const [messages, setMessages] = useState(initial);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [messages, pending]);

  function send(body: string) {
    const trimmed = body.trim();
    if (!trimmed || pending) return;
    setError(null);
    const optimistic: SandboxMessage = {
      id: -Date.now(),
      direction: "in",
      body: trimmed,
      status: "sending",
      created_at: new Date().toISOString(),
    };
    setMessages((current) => [...current, optimistic]);
    setText("");
    startTransition(async () => {
      const result = await sendSandboxMessage(businessId, trimmed);
      if (result.ok && result.data) {
        setMessages(result.data);
      } else {
        setMessages((current) => current.filter((m) => m.id !== optimistic.id));
        setText(trimmed);
        setError(result.ok ? t("noAnswer") : failureText(result));
      }
    });
  }

  function reset() {
    setError(null);
    startTransition(async () => {
      const result = await resetSandbox(businessId);
      if (result.ok) setMessages([]);
      else setError(failureText(result));
    });
  }

  return (
    <section className="card" aria-labelledby="try-bot-title">
      <div className="card-head">
        <h2 id="try-bot-title">{t("title")}</h2>
        <button type="button" className="secondary" onClick={reset} disabled={pending || messages.length === 0}>
          {t("reset")}
        </button>
      </div>
      <p className="muted small">{t("intro")}</p>
      <div className="chat scroll" aria-live="polite" aria-label={t("conversation")} data-testid="sandbox-thread">
        {messages.length === 0 ? (
          <p className="muted small" style={{ alignSelf: "center" }}>
            {t("empty")}
          </p>
        ) : null}
        {messages.map((m) => (
          <Bubble
            key={m.id}
            direction={m.direction}
            body={m.body}
            status={m.status}
            createdAt={m.created_at}
            timeZone={timeZone}
            locale={locale}
            toolCalls={m.tool_calls}
            toolsOpen
          />
        ))}
        {pending ? (
          <p className="muted small" role="status">
            {t("typing")}
          </p>
        ) : null}
        <div ref={end} />
      </div>
      {error ? (
        <p className="notice error" role="alert" style={{ marginTop: "0.6rem" }}>
          {error}
        </p>
      ) : null}
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          send(text);
        }}
      >
        <label htmlFor="sandbox-text" className="visually-hidden">
          {t("label")}
        </label>
        <input
          id="sandbox-text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder={t("placeholder")}
          maxLength={4096}
          autoComplete="off"
        />
        <button type="submit" disabled={pending || !text.trim()}>
          {t("send")}
        </button>
      </form>
      <div className="chips" style={{ marginTop: "0.6rem" }}>
        {EXAMPLES.map((key) => (
          <button
            key={key}
            type="button"
            className="secondary small"
            onClick={() => send(t(`examples.${key}`))}
            disabled={pending}
          >
            {t(`examples.${key}`)}
          </button>
        ))}
      </div>
    </section>
  );
}
