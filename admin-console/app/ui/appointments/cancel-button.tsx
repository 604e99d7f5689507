"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { cancelAppointment } from "@/app/lib/actions";
import { ConfirmAction } from "@/app/ui/confirm-action";

/** Cancel one appointment after an explicit confirmation (and optionally tell the customer). */
export function CancelButton({
  businessId,
  appointmentId,
  summary,
}: {
  businessId: number;
  appointmentId: number;
  summary: string;
}) {
  const t = useTranslations("cancel");
  const [notify, setNotify] = useState(true);
  return (
    <ConfirmAction
      button={t("button")}
      ariaLabel={t("aria", { summary })}
      className="link danger"
      title={t("title")}
      summary={summary}
      yes={t("yes")}
      busy={t("busy")}
      keep={t("keep")}
      action={() => cancelAppointment(businessId, appointmentId, notify)}
    >
      <label className="row" style={{ fontWeight: 400 }}>
        <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} />
        {t("notify")}
      </label>
    </ConfirmAction>
  );
}
