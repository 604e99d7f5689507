import Link from "next/link";

import type { Role } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";

/** Shown instead of a page the caller's role may not use (direct navigation included). */
export async function NotAllowed({ role, what, back }: { role: Role; what: string; back: string }) {
  const t = await getT("common");
  return (
    <div className="card" role="alert">
      <h2>{t("notAllowed")}</h2>
      <p>
        {t.rich("notAllowedText", { role: t(`roles.${role}`), what, strong: (chunks) => <strong>{chunks}</strong> })}
      </p>
      <Link href={back}>{t("back")}</Link>
    </div>
  );
}
