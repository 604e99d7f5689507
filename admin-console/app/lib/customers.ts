import type { Channel } from "./definitions";

// How a customer is named on screen. `words` are the reader's (messages `customers`); English
// when not given.

export type CustomerWords = { testChat: string; erased: string; walkIn: string };
const ENGLISH: CustomerWords = {
  testChat: "test chat (never sent to a customer)",
  erased: "erased customer",
  walkIn: "walk-in",
};

/** "Try the bot" customers: the API gives them the address "sandbox:<user id>". */
export function isSandbox(address: string): boolean {
  return address.startsWith("sandbox:");
}

/** A customer whose data was erased: the API gives them the address "erased:<id>". */
export function isErased(address: string): boolean {
  return address.startsWith("erased:");
}

/** Where the customer writes from: their WhatsApp number, or the channel's name. */
export function addressLabel(channel: Channel, address: string, words: CustomerWords = ENGLISH): string {
  if (isSandbox(address)) return words.testChat;
  if (isErased(address)) return words.erased;
  if (channel === "walk_in") return words.walkIn;
  return channel === "whatsapp" ? `+${address}` : `${channelName(channel, words)} (${address})`;
}

export function channelName(channel: Channel, words: CustomerWords = ENGLISH): string {
  if (channel === "walk_in") return words.walkIn;
  return channel === "whatsapp" ? "WhatsApp" : channel === "messenger" ? "Messenger" : channel;
}

export function customerLabel(name: string, channel: Channel, address: string, words?: CustomerWords): string {
  return name || addressLabel(channel, address, words);
}
