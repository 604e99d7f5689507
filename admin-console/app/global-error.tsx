"use client";

import { ErrorView, type ErrorProps } from "@/app/ui/error-view";

import "./globals.css";

export default function GlobalError(props: ErrorProps) {
  return (
    <html lang="en">
      <body>
        <main className="page">
          <ErrorView {...props} what="the console" />
        </main>
      </body>
    </html>
  );
}
