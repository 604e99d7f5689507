"use client";

import { useEffect } from "react";

export type ErrorProps = { error: unknown; retry: () => void };

/** The body of every error.tsx: what failed, and a way to try again. */
export function ErrorView({ error, retry, what }: ErrorProps & { what: string }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error && "digest" in error ? String(error.digest) : null;
  return (
    <div className="card" role="alert">
      <h2>Could not show {what}</h2>
      <p className="muted">
        The admin API did not answer as expected. Nothing was changed; try again in a moment.
        {digest ? <span className="small"> (reference {digest})</span> : null}
      </p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </div>
  );
}
