import type { Metadata, Viewport } from "next";

import { getLang, MESSAGES } from "@/app/lib/i18n";
import { IntlClient } from "@/app/ui/intl-client";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Booking bot console", template: "%s · Booking bot console" },
  description: "Settings, conversations and appointments of the WhatsApp booking bot",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const lang = await getLang();
  return (
    <html lang={lang}>
      <body>
        <IntlClient lang={lang} messages={MESSAGES[lang]}>
          {children}
        </IntlClient>
      </body>
    </html>
  );
}
