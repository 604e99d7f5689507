"use client";

import en from "@/app/messages/en";
import { ErrorView, type ErrorProps } from "@/app/ui/error-view";
import { IntlClient } from "@/app/ui/intl-client";

import "./globals.css";

export default function GlobalError(props: ErrorProps) {
  return (
    <html lang="en">
      <body>
        <main className="page">
          <IntlClient lang="en" messages={en}>
            <ErrorView {...props} what="console" />
          </IntlClient>
        </main>
      </body>
    </html>
  );
}
