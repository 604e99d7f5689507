import { Suspense } from "react";

import { getLang, getT, MESSAGES } from "@/app/lib/i18n";
import { IntlClient } from "@/app/ui/intl-client";
import { TopBar } from "@/app/ui/top-bar";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const lang = await getLang();
  const t = await getT("shell");
  return (
    <IntlClient lang={lang} messages={MESSAGES[lang]}>
      <a className="skip-link" href="#main">
        {t("skip")}
      </a>
      <Suspense
        fallback={
          <header className="topbar">
            <span className="brand">Booking bot</span>
          </header>
        }
      >
        <TopBar />
      </Suspense>
      <main id="main" className="page">
        {children}
      </main>
    </IntlClient>
  );
}
