import Link from "next/link";

import { getT } from "@/app/lib/i18n";

export default async function NotFound() {
  const t = await getT("notFound");
  return (
    <main className="page">
      <div className="card">
        <h1>{t("title")}</h1>
        <p className="muted">{t("text")}</p>
        <Link href="/businesses">{t("back")}</Link>
      </div>
    </main>
  );
}
