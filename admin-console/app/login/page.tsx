import type { Metadata } from "next";

import { getT } from "@/app/lib/i18n";
import type { SearchParams } from "@/app/lib/params";
import { LoginForm } from "@/app/ui/login-form";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("login"))("submit") };
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const next = typeof params.next === "string" ? params.next : "/";
  const expired = params.expired === "1";
  const t = await getT("login");
  return (
    <main className="login-wrap">
      <div className="card login-card">
        <h1>{t("title")}</h1>
        <p className="muted">{t("intro")}</p>
        {expired ? <p className="notice info">{t("expired")}</p> : null}
        <LoginForm
          next={next}
          labels={{ email: t("email"), password: t("password"), submit: t("submit"), busy: t("busy") }}
        />
      </div>
    </main>
  );
}
