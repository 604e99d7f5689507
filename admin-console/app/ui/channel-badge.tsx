import { channelName } from "@/app/lib/customers";
import type { Channel } from "@/app/lib/definitions";

/** Which channel a customer writes on: a small "WhatsApp" or "Messenger" badge. */
export function ChannelBadge({ channel }: { channel: Channel }) {
  return (
    <span className="badge" data-testid="channel-badge" data-channel={channel}>
      {channelName(channel)}
    </span>
  );
}
