import { Suspense } from "react";

import { getT } from "@/app/lib/i18n";
import { TopBar } from "@/app/ui/top-bar";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const t = await getT("shell");
  return (
    <>
      <a className="skip-link" href="#main">
        {t("skip")}
      </a>
      <Suspense
        fallback={
          <header className="topbar">
            <span className="brand">{t("brand")}</span>
          </header>
        }
      >
        <TopBar />
      </Suspense>
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
