// Choosing and changing one's own password (POST /auth/password). An account whose password was
// set by someone else (an owner adding staff, a superadmin) must choose its own before anything
// else: the API then answers every other call 403 with this reason, and GET /me says
// `password_change_required`. No imports, so unit/password.test.mjs loads it with plain Node.

/** The API's reason for a call refused until the account chooses its own password. */
export const PASSWORD_CHANGE_REQUIRED = "password_change_required";

/** The console page where a signed-in user chooses or changes their password. */
export const PASSWORD_PAGE = "/password";

/** Keys of the `password.errors` messages. */
export type PasswordErrorKey =
  | "currentRequired"
  | "wrongCurrent"
  | "newRequired"
  | "length"
  | "common"
  | "similarEmail"
  | "similarName"
  | "same"
  | "guessable"
  | "mismatch"
  | "existingAccount";

/** A field's error: a message to translate (`detail`: words of the API to put in it), or the
 * API's own words when they are not known here. */
export type PasswordError = { key: PasswordErrorKey; detail?: string } | { text: string };

export type PasswordFields = "current_password" | "new_password" | "confirm_password";

/** Whether an API answer is the refusal of an account that must choose its password first. */
export function mustChoosePassword(status: number, body: unknown): boolean {
  if (status !== 403 || typeof body !== "object" || body === null) return false;
  return (body as { reason?: unknown }).reason === PASSWORD_CHANGE_REQUIRED;
}

/** The password page's address, coming back to the console page `page` once done. */
export function passwordPage(page: string | null | undefined): string {
  const back = typeof page === "string" && page.startsWith("/") && !page.startsWith("//") ? page : "/";
  const bare = back === "/" || back === PASSWORD_PAGE || back.startsWith(`${PASSWORD_PAGE}?`);
  return bare ? PASSWORD_PAGE : `${PASSWORD_PAGE}?next=${encodeURIComponent(back)}`;
}

/** What the form can tell before asking the API: each field's first problem. */
export function checkPasswordForm(
  current: string,
  next: string,
  confirm: string,
): Partial<Record<PasswordFields, PasswordError>> {
  const errors: Partial<Record<PasswordFields, PasswordError>> = {};
  if (!current) errors.current_password = { key: "currentRequired" };
  if (!next) errors.new_password = { key: "newRequired" };
  else if (next !== confirm) errors.confirm_password = { key: "mismatch" };
  return errors;
}

/** A field error of POST /auth/password, or of a new member's `password` (POST …/staff, POST
 * /users), in the API's English words as a message to translate. */
export function passwordFieldError(field: string, text: string): PasswordError {
  if (field === "current_password") {
    if (/not your current password/.test(text)) return { key: "wrongCurrent" };
    if (/non-empty/.test(text)) return { key: "currentRequired" };
  }
  if (field === "password" && /exists already/.test(text)) return { key: "existingAccount" };
  if (field === "new_password" || field === "password") {
    if (/\d+ to \d+ characters/.test(text)) return { key: "length" };
    if (/too common/.test(text)) return { key: "common" };
    if (/similar to the email/.test(text)) return { key: "similarEmail" };
    if (/similar to the name/.test(text)) return { key: "similarName" };
    if (/differ from the current/.test(text)) return { key: "same" };
    const guessable = /^is too easy to guess: ?(.*)$/s.exec(text);
    if (guessable) return { key: "guessable", detail: guessable[1] ?? "" };
  }
  return { text };
}

/** A field error in the reader's words, `t` translating the `password.errors` messages. */
export function sayPasswordError(
  error: PasswordError,
  t: (key: PasswordErrorKey, values?: { detail: string }) => string,
): string {
  if ("text" in error) return error.text;
  return error.detail === undefined ? t(error.key) : t(error.key, { detail: error.detail });
}
