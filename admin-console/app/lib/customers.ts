import type { Channel } from "./definitions";

// How a customer is named on screen.

/** "Try the bot" customers: the API gives them the address "sandbox:<user id>". */
export function isSandbox(address: string): boolean {
  return address.startsWith("sandbox:");
}

/** Where the customer writes from: their WhatsApp number, or the channel's name. */
export function addressLabel(channel: Channel, address: string): string {
  if (isSandbox(address)) return "test chat (never sent to a customer)";
  return channel === "whatsapp" ? `+${address}` : `${channelName(channel)} (${address})`;
}

export function channelName(channel: Channel): string {
  return channel === "whatsapp" ? "WhatsApp" : channel === "messenger" ? "Messenger" : channel;
}

export function customerLabel(name: string, channel: Channel, address: string): string {
  return name || addressLabel(channel, address);
}
