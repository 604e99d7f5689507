import { expect, test } from "@playwright/test";

import { api, apiToken, claimAccount, customerSays, demoBusinessId, shot, signIn, waitForReply } from "./helpers";

// Human handoff as staff live it: a customer asks for a person (the model-free flow hands the
// conversation over), a staff member signs in, finds it first in the list, answers, and gives
// the conversation back to the bot.
const waiting = { waId: "34622333666", name: "Lucia Gomez" }; // not a number another spec books with
const newer = { waId: "34622333555", name: "Pablo Ruiz" };
const staff = { email: `handoff.${Date.now()}@example.com`, password: "handoff-password-1", name: "Ana" };

test("staff see the waiting conversation first, reply, and resume the bot", async ({ page }) => {
  const token = await apiToken();
  const businessId = await demoBusinessId(token);
  await api(token, "POST", `/businesses/${businessId}/staff`, { ...staff, role: "staff" });
  await claimAccount(staff.email, staff.password);

  await customerSays(waiting.waId, waiting.name, "I want to talk to a person please");
  const handedOff = await waitForReply(token, businessId, waiting.waId, 1);
  expect(handedOff.out[0]?.body).toContain("I've asked the team to answer you here");
  await customerSays(waiting.waId, waiting.name, "It's about my colour appointment");
  // A conversation with newer activity: the waiting one must still come first.
  await customerSays(newer.waId, newer.name, "hello");
  await waitForReply(token, businessId, newer.waId, 1);

  await signIn(page, staff.email, staff.password);
  await page.goto(`/businesses/${businessId}/conversations`);
  const first = page.getByRole("list", { name: "Conversations" }).getByRole("listitem").first();
  await expect(first).toContainText(waiting.name);
  await expect(first).toContainText(/needs a person · waiting/);
  await expect(first).toContainText("1 new");
  await shot(page, "handoff-inbox");

  await first.getByRole("link").click();
  const banner = page.getByTestId("handoff");
  await expect(banner).toContainText("Needs a person: The customer asked for a person");
  await expect(banner).toContainText("I want to talk to a person please");
  const thread = page.getByTestId("thread");
  await expect(thread.getByTestId("bubble-in").last()).toContainText("It's about my colour appointment");

  await page.getByLabel("Your reply").fill("Hi Lucia, Ana here. Let's find you a new colour slot.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Reply sent." })).toBeVisible();
  const reply = thread.getByTestId("bubble-out").last();
  await expect(reply).toContainText("Let's find you a new colour slot.");
  await expect(reply.getByTestId("bubble-author")).toHaveText("Ana (staff)");
  await expect(banner).toBeHidden(); // answered: no longer waiting
  await shot(page, "handoff-thread");

  await page.getByRole("button", { name: "Resume the bot" }).click();
  await expect(page.getByRole("button", { name: "Pause the bot" })).toBeVisible();
  await expect(page.getByText("The bot is paused for this customer")).toBeHidden();

  // The bot answers the next message (and nothing written while it was paused).
  const before = (await waitForReply(token, businessId, waiting.waId, 2)).out.length;
  await customerSays(waiting.waId, waiting.name, "what are your prices?");
  const after = await waitForReply(token, businessId, waiting.waId, before + 1);
  expect(after.out.length).toBe(before + 1);
  expect(after.out[after.out.length - 1]?.body).toContain("Haircut");
});
