import Link from "next/link";

import { fetchMe } from "@/app/lib/api";
import { setLanguage, signOut } from "@/app/lib/actions";
import { getLang, getT } from "@/app/lib/i18n";
import { LANG_NAMES, LANGS } from "@/app/lib/locale";

export async function TopBar() {
  const [me, lang, t] = await Promise.all([fetchMe(), getLang(), getT("shell")]);
  return (
    <header className="topbar">
      <Link href="/businesses" className="brand">
        {t("brand")}
      </Link>
      <nav aria-label={t("main")}>
        <Link href="/businesses">{t("businesses")}</Link>
        {me.is_superadmin ? <Link href="/users">{t("users")}</Link> : null}
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
