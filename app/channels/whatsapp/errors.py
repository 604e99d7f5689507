"""WhatsApp Cloud API errors in the outbox's terms (codes from Meta's Cloud API error tables)."""

from __future__ import annotations

from app.channels.base import SendError

# 130429 "Rate limit hit": the number's throughput (80 messages/s by default); 4 and 80007 are
# the app's and the WhatsApp Business Account's call limits.
RATE_CODES = frozenset({4, 130429, 80007})
# 131056 "(Business Account, Consumer Account) pair rate limit hit": too many messages to one
# customer in a short time; other customers are not affected.
PAIR_RATE_CODES = frozenset({131056})
# 1 unknown, 2 service temporarily unavailable, 131000 "Something went wrong", 131016 service
# unavailable, 131057 "Account in maintenance mode" (e.g. a throughput upgrade): Meta's own
# trouble. 131048 "Spam rate limit hit" (the number's quality-based limit, one of Meta's
# throttling errors) lifts in hours, not the seconds an account pause lasts: each message
# backs off on its own.
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016, 131048, 131057})
# 131047 "Re-engagement message": more than 24 hours since the customer last wrote.
WINDOW_CODES = frozenset({131047})
# 131026 "Message Undeliverable" (no WhatsApp, old app, not accepted the terms); 131050 the
# customer stopped marketing messages from the business.
UNREACHABLE_CODES = frozenset({131026, 131050})
# 0 and 190 token invalid or expired; 3 capability, 10 permission denied, 200-299 API
# permissions; 131031 account locked: only an admin can fix these.
CREDENTIAL_CODES = frozenset({0, 3, 10, 190, 131031})


def classify(http_status: int, code: int | None) -> SendError:
    """Return how the outbox should treat a failed send (the code first, then the HTTP status)."""
    if code in RATE_CODES:
        return SendError.RATE_LIMITED
    if code in PAIR_RATE_CODES:
        return SendError.PAIR_RATE_LIMITED
    if code in TEMPORARY_CODES:
        return SendError.RETRY_LATER
    if code in WINDOW_CODES:
        return SendError.WINDOW_CLOSED
    if code in UNREACHABLE_CODES:
        return SendError.UNREACHABLE
    if code in CREDENTIAL_CODES or (code is not None and 200 <= code <= 299):
        return SendError.BAD_CREDENTIALS
    if code is not None:
        return SendError.NEVER_RETRY  # 100 bad parameter, 131008/131009, 132xxx templates, ...
    if http_status == 429:
        return SendError.RATE_LIMITED
    if http_status == 401:
        return SendError.BAD_CREDENTIALS
    if http_status >= 500:
        return SendError.RETRY_LATER
    return SendError.NEVER_RETRY
