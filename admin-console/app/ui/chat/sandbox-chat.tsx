"use client";

import { useEffect, useRef, useState, useTransition } from "react";

import { resetSandbox, sendSandboxMessage } from "@/app/lib/actions";
import type { SandboxMessage } from "@/app/lib/definitions";

import { Bubble } from "./bubble";

const EXAMPLES = ["What services do you have?", "What are your opening hours?", "What are my appointments?"];

/** "Try the bot": real turns for a sandbox customer of the signed-in user, never sent to WhatsApp. */
export function SandboxChat({
  businessId,
  timeZone,
  initial,
}: {
  businessId: number;
  timeZone: string;
  initial: SandboxMessage[];
}) {
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
        setError(result.ok ? "The bot did not answer." : result.message);
      }
    });
  }

  function reset() {
    setError(null);
    startTransition(async () => {
      const result = await resetSandbox(businessId);
      if (result.ok) setMessages([]);
      else setError(result.message);
    });
  }

  return (
    <section className="card" aria-labelledby="try-bot-title">
      <div className="card-head">
        <h2 id="try-bot-title">Try the bot</h2>
        <button type="button" className="secondary" onClick={reset} disabled={pending || messages.length === 0}>
          Reset chat
        </button>
      </div>
      <p className="muted small">
        You are a test customer: the bot answers with this business&apos;s current settings and really books, but
        nothing is sent to WhatsApp.
      </p>
      <div className="chat scroll" aria-live="polite" aria-label="Test conversation" data-testid="sandbox-thread">
        {messages.length === 0 ? (
          <p className="muted small" style={{ alignSelf: "center" }}>
            Say hello, ask for prices, or book an appointment.
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
            toolCalls={m.tool_calls}
            toolsOpen
          />
        ))}
        {pending ? (
          <p className="muted small" role="status">
            The bot is typing…
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
          Message to the bot
        </label>
        <input
          id="sandbox-text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="Write as a customer…"
          maxLength={4096}
          autoComplete="off"
        />
        <button type="submit" disabled={pending || !text.trim()}>
          Send
        </button>
      </form>
      <div className="chips" style={{ marginTop: "0.6rem" }}>
        {EXAMPLES.map((example) => (
          <button
            key={example}
            type="button"
            className="secondary small"
            onClick={() => send(example)}
            disabled={pending}
          >
            {example}
          </button>
        ))}
      </div>
    </section>
  );
}
