"use client";

import { ErrorView, type ErrorProps } from "@/app/ui/error-view";

export default function Error(props: ErrorProps) {
  return (
    <main className="page">
      <ErrorView {...props} what="page" />
    </main>
  );
}
