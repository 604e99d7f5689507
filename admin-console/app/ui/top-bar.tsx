import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";

import { fetchMe } from "@/app/lib/api";
import { setLanguage, signOut } from "@/app/lib/actions";
import { getLang, getT } from "@/app/lib/i18n";
import { LANG_NAMES, LANGS } from "@/app/lib/locale";
import { PAGE_HEADER } from "@/app/lib/next-path";
import { PASSWORD_PAGE, passwordPage } from "@/app/lib/password";

export async function TopBar() {
  const [me, lang, t] = await Promise.all([fetchMe(), getLang(), getT("shell")]);
  // Until a password someone else set is replaced, the password page is the only one open: the
  // API refuses everything else (app/lib/api.ts leads back here), and a page that would show
  // nothing from the API (e.g. "Not allowed") leads back here too.
  const locked = me.password_change_required;
  if (locked) {
    const page = (await headers()).get(PAGE_HEADER);
    if (!page?.startsWith(PASSWORD_PAGE)) redirect(passwordPage(page));
  }
  return (
    <header className="topbar">
      {locked ? (
        <span className="brand">{t("brand")}</span>
      ) : (
        <Link href="/businesses" className="brand">
          {t("brand")}
        </Link>
      )}
      <nav aria-label={t("main")}>
        {locked ? null : <Link href="/businesses">{t("businesses")}</Link>}
        {me.is_superadmin && !locked ? <Link href="/users">{t("users")}</Link> : null}
        <Link href={PASSWORD_PAGE}>{t("password")}</Link>
      </nav>
      <div className="who">
        <span className="email" title={me.email}>
          {me.name || me.email}
        </span>
        {me.is_superadmin ? <span className="badge yellow">{t("superadmin")}</span> : null}
        <form action={setLanguage} className="lang-switch" aria-label={t("language")}>
          {LANGS.filter((l) => l !== lang).map((l) => (
            <button key={l} type="submit" name="lang" value={l} className="link" lang={l}>
              {LANG_NAMES[l]}
            </button>
          ))}
        </form>
        <form action={signOut}>
          <button type="submit" className="link">
            {t("signOut")}
          </button>
        </form>
      </div>
    </header>
  );
}
