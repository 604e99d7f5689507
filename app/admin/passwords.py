"""Password rules for every place a password is set: length, then zxcvbn's guessability score."""

from __future__ import annotations

import re
import threading

from zxcvbn import zxcvbn

MIN_PASSWORD = 8
MAX_PASSWORD = 200
# zxcvbn score 3: "safely unguessable", about 10^10 guesses, enough against an offline attack on
# the slow scrypt hashes; the login throttle covers online guessing.
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows quadratically); the head of a password is scored.
SCORED_LENGTH = 72
# A local part this short ("jo") is a fragment of many good passphrases: zxcvbn weighs it instead.
MIN_CONTAINED = 4
# zxcvbn keeps the user inputs in a module-level dictionary while it scores: one call at a time.
_ZXCVBN_LOCK = threading.Lock()


def password_problem(password, email: str = "", name: str = "") -> str | None:
    """Why `password` may not be set for the account `email`/`name`, or None when it may."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"must be a string of {MIN_PASSWORD} to {MAX_PASSWORD} characters"
    email = (email or "").strip().lower()
    local = email.split("@")[0]
    lowered = password.lower()
    if email and (email in lowered or (len(local) >= MIN_CONTAINED and local in lowered)):
        return "is too similar to the email"
    from_email = _words(email, local, email.split("@")[-1])
    from_name = _words((name or "").strip().lower())
    with _ZXCVBN_LOCK:
        result = zxcvbn(password[:SCORED_LENGTH], user_inputs=sorted(from_email | from_name))
    if result["score"] >= MIN_SCORE:
        return None
    return _reason(result, from_email)


def _words(*texts: str) -> set[str]:
    """The texts and their alphanumeric pieces (john.smith → john.smith, john, smith)."""
    words = {t for t in texts if t}
    for text in texts:
        words.update(piece for piece in re.split(r"[^0-9a-z]+", text) if len(piece) > 1)
    return words


def _reason(result: dict, from_email: set[str]) -> str:
    sequence = result["sequence"]
    own = [m["matched_word"] for m in sequence if m.get("dictionary_name") == "user_inputs"]
    if own:
        return "is too similar to the " + ("email" if set(own) & from_email else "name")
    if len(sequence) == 1 and sequence[0].get("dictionary_name") == "passwords":
        return "is too common"
    feedback = result["feedback"]
    hint = feedback["warning"] or " ".join(feedback["suggestions"]) or "Add another word or two."
    return f"is too easy to guess: {hint}"
