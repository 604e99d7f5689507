import Link from "next/link";

import type { Role } from "@/app/lib/definitions";

/** Shown instead of a page the caller's role may not use (direct navigation included). */
export function NotAllowed({ role, what, back }: { role: Role; what: string; back: string }) {
  return (
    <div className="card" role="alert">
      <h2>Not allowed</h2>
      <p>
        Your role here is <strong>{role}</strong>, which cannot {what}. Ask an owner of this business if you need a
        change.
      </p>
      <Link href={back}>Back to the business</Link>
    </div>
  );
}
