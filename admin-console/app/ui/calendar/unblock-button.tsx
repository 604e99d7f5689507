"use client";

import { useTranslations } from "use-intl/react";

import { unblockTime } from "@/app/lib/actions";
import { ConfirmAction } from "@/app/ui/confirm-action";

/** Unblock a blocked time after an explicit confirmation (as cancelling an appointment asks). */
export function UnblockButton({
  businessId,
  blockId,
  summary,
}: {
  businessId: number;
  blockId: number;
  /** When the block is and why, e.g. "Tue 22 Dec, 11:00–12:00 (Training)". */
  summary: string;
}) {
  const t = useTranslations("block");
  return (
    <ConfirmAction
      button={t("remove")}
      ariaLabel={t("removeAria", { summary })}
      className="link danger unblock"
      title={t("removeTitle")}
      summary={summary}
      yes={t("removeYes")}
      busy={t("removing")}
      keep={t("keep")}
      action={() => unblockTime(businessId, blockId)}
    />
  );
}
