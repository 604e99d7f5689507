"""A page reader that never gets ready: importing it takes ten minutes (tests of
app.knowledge.reader name it as "tests.page_readers_never_ready:read")."""

import time

time.sleep(600)


def read(url, body, charset, content_type):
    raise AssertionError("never reached")
