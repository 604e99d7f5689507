// How a customer is named on screen.

/** "Try the bot" customers: the API gives them wa_id "sandbox:<user id>" and no phone number. */
export function isSandbox(waId: string): boolean {
  return waId.startsWith("sandbox:");
}

export function phoneLabel(waId: string): string {
  return isSandbox(waId) ? "test chat (never sent to WhatsApp)" : `+${waId}`;
}

export function customerLabel(name: string, waId: string): string {
  return name || phoneLabel(waId);
}
