"""Retention: each business keeps message texts for `message_retention_days`, then they go.

The periodic purge deletes old messages a batch at a time, each batch one short statement that
skips rows another transaction holds, so turns never wait on it (benchmarks/retention.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from app.storage import front_desk, outbox
from app.storage import privacy as store

log = logging.getLogger(__name__)
BATCH = 1000
# The front desk's Idempotency-Keys are kept this long: long past any retry of their request.
REQUEST_KEY_DAYS = 7


def purge(now: datetime | None = None, batch: int = BATCH) -> dict[int, list[int]]:
    """Delete every business's messages older than its retention (and request keys older than
    REQUEST_KEY_DAYS, parked statuses older than 7 days); the batch sizes per business."""
    now = now or datetime.now(UTC)
    front_desk.forget_request_keys(now - timedelta(days=REQUEST_KEY_DAYS))
    outbox.forget_old_statuses()
    done: dict[int, list[int]] = {}
    for business in store.retention_days():
        before = now - timedelta(days=business["message_retention_days"])
        batches = purge_business(business["id"], before, batch)
        if batches:
            done[business["id"]] = batches
            log.info("purged %d old messages of business %s", sum(batches), business["id"])
    return done


def purge_business(business_id: int, before: datetime, batch: int = BATCH) -> list[int]:
    """Delete the business's messages created before `before`, `batch` at a time (and the
    handoff summaries and turns' tool calls quoting them); the sizes."""
    store.purge_handoff_summaries(business_id, before)
    while store.purge_turn_details_batch(business_id, before, batch) == batch:
        pass
    batches = []
    while True:
        deleted = store.purge_messages_batch(business_id, before, batch)
        if deleted:
            batches.append(deleted)
        if deleted < batch:
            return batches
