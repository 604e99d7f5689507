import { customerLabel } from "@/app/lib/customers";
import type { Appointment } from "@/app/lib/definitions";
import { formatDay, formatTime, localParts } from "@/app/lib/time";

import { CancelButton } from "./cancel-button";

export function AppointmentChip({
  appt,
  businessId,
  timeZone,
  now,
  showDay = false,
}: {
  appt: Appointment;
  businessId: number;
  timeZone: string;
  now: number;
  showDay?: boolean;
}) {
  const who = customerLabel(appt.customer_name, appt.customer_channel, appt.customer_address);
  const start = formatTime(appt.starts_at, timeZone);
  const day = showDay ? `${formatDay(localParts(appt.starts_at, timeZone).date)} ` : "";
  const cancellable = appt.status === "booked" && new Date(appt.starts_at).getTime() > now;
  const lastMove = appt.moves.at(-1);
  const movedFrom = lastMove
    ? `moved from ${formatDay(localParts(lastMove.from_starts_at, timeZone).date)} ${formatTime(lastMove.from_starts_at, timeZone)}`
    : null;
  return (
    <div className={`appt${appt.status === "cancelled" ? " cancelled" : ""}`} data-testid="appointment">
      <strong>
        {day}
        {start}–{formatTime(appt.ends_at, timeZone)}
      </strong>
      <span>{appt.service_name}</span>
      <span className="muted">{who}</span>
      <span className="muted small">#{appt.id}</span>
      {movedFrom ? (
        <span className="muted small" title={`Moved ${appt.moves.length} time(s)`} data-testid="moved-from">
          {movedFrom}
        </span>
      ) : null}
      {appt.status === "cancelled" ? <span className="badge">cancelled</span> : null}
      {cancellable ? (
        <CancelButton
          businessId={businessId}
          appointmentId={appt.id}
          summary={`${appt.service_name} for ${who}, ${day}${start} (#${appt.id})`}
        />
      ) : null}
    </div>
  );
}
