import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const {
  checkPasswordForm,
  mustChoosePassword,
  PASSWORD_CHANGE_REQUIRED,
  passwordFieldError,
  passwordPage,
  sayPasswordError,
} = await importTs("app/lib/password.ts");
const { default: en } = await importTs("app/messages/en.ts");

test("only a 403 with the API's reason means the password must be chosen first", () => {
  assert.equal(mustChoosePassword(403, { error: "Forbidden", message: "…", reason: PASSWORD_CHANGE_REQUIRED }), true);
  assert.equal(
    mustChoosePassword(403, { error: "Forbidden", message: "only an owner of this business may do this" }),
    false,
  );
  assert.equal(mustChoosePassword(409, { reason: PASSWORD_CHANGE_REQUIRED }), false);
  assert.equal(mustChoosePassword(403, null), false);
  assert.equal(mustChoosePassword(403, "password_change_required"), false);
});

test("the password page comes back to the page asked for, never to itself or elsewhere", () => {
  assert.equal(
    passwordPage("/businesses/3/conversations?q=ana"),
    "/password?next=%2Fbusinesses%2F3%2Fconversations%3Fq%3Dana",
  );
  for (const page of [
    "/",
    null,
    undefined,
    "",
    "/password",
    "/password?next=%2Fusers",
    "//evil.example",
    "https://evil.example/",
  ]) {
    assert.equal(passwordPage(page), "/password", String(page));
  }
});

test("the form's own checks: every field filled, the confirmation equal to the new password", () => {
  assert.deepEqual(checkPasswordForm("old one", "quartz lantern meadow 57", "quartz lantern meadow 57"), {});
  assert.deepEqual(checkPasswordForm("", "", ""), {
    current_password: { key: "currentRequired" },
    new_password: { key: "newRequired" },
  });
  assert.deepEqual(checkPasswordForm("old one", "quartz lantern meadow 57", "quartz lantern meadow 58"), {
    confirm_password: { key: "mismatch" },
  });
});

test("the API's field errors become messages of the reader's language", () => {
  const cases = [
    ["current_password", "is not your current password", { key: "wrongCurrent" }],
    ["current_password", "must be a non-empty string", { key: "currentRequired" }],
    ["new_password", "must be a string of 8 to 200 characters", { key: "length" }],
    ["new_password", "is too common", { key: "common" }],
    ["new_password", "is too similar to the email", { key: "similarEmail" }],
    ["new_password", "is too similar to the name", { key: "similarName" }],
    ["new_password", "must differ from the current password", { key: "same" }],
    [
      "new_password",
      'is too easy to guess: Repeats like "aaa" are easy to guess.',
      { key: "guessable", detail: 'Repeats like "aaa" are easy to guess.' },
    ],
    ["new_password", "something new the API says", { text: "something new the API says" }],
    // A new member's password (POST …/staff, POST /users).
    ["password", "is too common", { key: "common" }],
    ["password", "must be a string of 8 to 200 characters", { key: "length" }],
    ["password", "the user exists already; their password is not changed here", { key: "existingAccount" }],
    ["extra", "unknown field", { text: "unknown field" }],
  ];
  for (const [field, text, expected] of cases) assert.deepEqual(passwordFieldError(field, text), expected, text);
});

test("every error key has an English message, and the detail is put in", () => {
  const t = (key, values) => {
    const message = en.password.errors[key];
    assert.equal(typeof message, "string", key);
    return values ? message.replace("{detail}", values.detail) : message;
  };
  for (const key of [
    "currentRequired",
    "wrongCurrent",
    "newRequired",
    "length",
    "common",
    "similarEmail",
    "similarName",
    "same",
    "mismatch",
    "existingAccount",
  ]) {
    assert.equal(sayPasswordError({ key }, t), en.password.errors[key]);
  }
  assert.equal(
    sayPasswordError({ key: "guessable", detail: "Add a word." }, t),
    "It is too easy to guess (Add a word.).",
  );
  assert.equal(sayPasswordError({ text: "as the API said" }, t), "as the API said");
});
