"use client";

import { IntlProvider } from "use-intl/react";

import type { Messages } from "@/app/messages/en";

/** The reader's language and its messages, for client components (`useTranslations`). */
export function IntlClient({
  lang,
  messages,
  children,
}: {
  lang: string;
  messages: Messages;
  children: React.ReactNode;
}) {
  return (
    <IntlProvider locale={lang} messages={messages} timeZone="UTC">
      {children}
    </IntlProvider>
  );
}
