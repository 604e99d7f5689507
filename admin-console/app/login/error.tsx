"use client";

import { ErrorView, type ErrorProps } from "@/app/ui/error-view";

export default function Error(props: ErrorProps) {
  return (
    <main className="login-wrap">
      <div className="login-card">
        <ErrorView {...props} what="login" />
      </div>
    </main>
  );
}
