"""Messenger Send API errors in the outbox's terms (codes from Meta's Messenger error tables)."""

from __future__ import annotations

from app.channels.base import SendError
from app.channels.graph import GraphError

# (#10) "This message is sent outside of allowed window" (2018278; 2018065 for subscription
# messages; 2534022 in newer responses).
WINDOW_SUBCODES = frozenset({2018278, 2018065, 2534022})
# 551 "This person isn't available right now" (also as 200/1545041); 10/2018108 "This person
# isn't receiving messages from you right now"; 100/2018001 "No matching user found";
# 10/2018300 "Message failed to send because another app is controlling this thread now"
# (handover: the Page inbox or another app has the conversation; the token is fine).
UNREACHABLE_CODES = frozenset({551})
UNREACHABLE_SUBCODES = frozenset({1545041, 2018108, 2018001, 2018300})
# 4 application limit (4/2018022: too many sends), 17 user, 32 page, 613 "Calls to this API
# have exceeded the rate limit", 80006 the Messenger business-use-case limit.
RATE_CODES = frozenset({4, 17, 32, 613, 80006})
# 1200 "Temporary send message failure. Please try again later"; 2 "An unexpected error has
# occurred. Please retry your request later"; 1 "An unknown error occurred".
TEMPORARY_CODES = frozenset({1, 2, 1200})
# 190 token invalid or expired; 102 session key invalid; 10 (without a window subcode) and
# 200-299 missing permissions: only an admin reconnecting the page can fix these.
CREDENTIAL_CODES = frozenset({102, 190})


def classify(http_status: int, error: GraphError) -> SendError:
    """Return how the outbox should treat a failed send."""
    code, subcode = error.code, error.subcode
    if code == 10 and subcode in WINDOW_SUBCODES:
        return SendError.WINDOW_CLOSED
    if code in UNREACHABLE_CODES or subcode in UNREACHABLE_SUBCODES:
        return SendError.UNREACHABLE
    if code in RATE_CODES or (code is None and http_status == 429):
        return SendError.RATE_LIMITED
    if code in TEMPORARY_CODES:
        return SendError.RETRY_LATER
    if code in CREDENTIAL_CODES or code == 10 or (code is not None and 200 <= code <= 299):
        return SendError.BAD_CREDENTIALS
    if code is None and http_status == 401:
        return SendError.BAD_CREDENTIALS
    if code == 100:  # invalid parameter: the same request fails the same way
        return SendError.NEVER_RETRY
    if http_status >= 500:
        return SendError.RETRY_LATER
    return SendError.NEVER_RETRY  # every other refusal of the request itself
