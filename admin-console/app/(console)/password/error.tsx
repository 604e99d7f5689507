"use client";

import { ErrorView, type ErrorProps } from "@/app/ui/error-view";

export default function Error(props: ErrorProps) {
  return <ErrorView {...props} what="password" />;
}
