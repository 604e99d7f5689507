import type { Metadata } from "next";

import type { SearchParams } from "@/app/lib/params";
import { LoginForm } from "@/app/ui/login-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const next = typeof params.next === "string" ? params.next : "/";
  const expired = params.expired === "1";
  return (
    <main className="login-wrap">
      <div className="card login-card">
        <h1>Booking bot console</h1>
        <p className="muted">Sign in to manage your business&apos;s WhatsApp assistant.</p>
        {expired ? <p className="notice info">Your session has ended. Please sign in again.</p> : null}
        <LoginForm next={next} />
      </div>
    </main>
  );
}
