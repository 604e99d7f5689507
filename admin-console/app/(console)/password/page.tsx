import type { Metadata } from "next";

import { fetchMe } from "@/app/lib/api";
import { getT } from "@/app/lib/i18n";
import { safeNext } from "@/app/lib/next-path";
import type { SearchParams } from "@/app/lib/params";
import { PASSWORD_PAGE } from "@/app/lib/password";
import { PasswordForm } from "@/app/ui/password-form";

export async function generateMetadata(): Promise<Metadata> {
  const [me, t] = await Promise.all([fetchMe(), getT("password")]);
  return { title: me.password_change_required ? t("chooseTitle") : t("changeTitle") };
}

/** Choose a password of one's own (forced while the API says `password_change_required`), or
 * change it (every signed-in user, from the top bar). */
export default async function PasswordPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const [me, params, t] = await Promise.all([fetchMe(), searchParams, getT("password")]);
  const forced = me.password_change_required;
  const requested = safeNext(typeof params.next === "string" ? params.next : "/");
  // After the forced choice, on to the page the user was going to (never back here).
  const next = requested.startsWith(PASSWORD_PAGE) ? "/" : requested;
  return (
    <section className="card narrow" aria-labelledby="password-title">
      <h1 id="password-title">{forced ? t("chooseTitle") : t("changeTitle")}</h1>
      <p className={forced ? "notice warn" : "muted"}>{forced ? t("chooseIntro") : t("changeIntro")}</p>
      <PasswordForm next={forced ? next : undefined} email={me.email} />
    </section>
  );
}
