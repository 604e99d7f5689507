import type { Channel } from "./definitions";

// How a customer is named on screen.

/** "Try the bot" customers: the API gives them the address "sandbox:<user id>". */
export function isSandbox(address: string): boolean {
  return address.startsWith("sandbox:");
}

/** A customer whose data was erased: the API gives them the address "erased:<id>". */
export function isErased(address: string): boolean {
  return address.startsWith("erased:");
}

/** Where the customer writes from: their WhatsApp number, or the channel's name. */
export function addressLabel(channel: Channel, address: string): string {
  if (isSandbox(address)) return "test chat (never sent to a customer)";
  if (isErased(address)) return "erased customer";
  if (channel === "walk_in") return "walk-in";
  return channel === "whatsapp" ? `+${address}` : `${channelName(channel)} (${address})`;
}

export function channelName(channel: Channel): string {
  if (channel === "walk_in") return "walk-in";
  return channel === "whatsapp" ? "WhatsApp" : channel === "messenger" ? "Messenger" : channel;
}

export function customerLabel(name: string, channel: Channel, address: string): string {
  return name || addressLabel(channel, address);
}
