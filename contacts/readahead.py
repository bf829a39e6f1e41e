"""Read-ahead for change-feed followers. A partner syncing reads page after page, each request waiting for the
one before; on its own the server idles while the partner parses a page, and the partner idles while the server
renders the next. So once a full page is sent, the server renders the next one (in the same worker thread, after
the response is written) and keeps its body in Redis for a few seconds; the follower's next request takes it
from there, or waits for it when it is still being rendered, instead of rendering it a second time.

Only full pages are kept (`has_more` true): a full page after cursor C is the fixed range of seqs up to its last
one, all committed when it was rendered (seqs are drawn in commit order, contacts.changes), so a fresh render
would list the same events. Its contacts are shown as they were at most READ_AHEAD_SECONDS earlier, which the
feed allows: any later change of them has a later seq, so the follower reads it further on and ends with what a
full listing shows (tests/contacts/test_feed.py). The last, partial page is always rendered fresh, so a follower
never stops early. Without Redis it renders every page itself, as before.
"""
import logging

from jobs import queues
from organizations.after_response import after_response

log = logging.getLogger(__name__)
READ_AHEAD_SECONDS = 10
WAIT_SECONDS = 2


def _key(organization, after: int, size: int) -> str:
    return f"contacts:feed:{organization.pk}:{after}:{size}"


def kept_page(organization, after: int, size: int) -> tuple[bytes, int] | None:
    """(body, next cursor) of the page after `after` if it was rendered ahead (waiting for a render under way)."""
    key = _key(organization, after, size)
    try:
        redis = queues.redis_connection()
        kept = redis.get(key)
        if kept is None and redis.exists(key + ":rendering"):
            redis.blpop([key + ":ready"], timeout=WAIT_SECONDS)
            kept = redis.get(key)
    except Exception:  # Redis down: render it here
        log.warning("feed read-ahead unavailable", exc_info=True)
        return None
    if kept is None:
        return None
    next_cursor, body = kept.split(b"\n", 1)
    return body, int(next_cursor)


def read_ahead(organization, after: int, size: int, render) -> None:
    """Once the response is sent, keep the page after `after` as `render(organization, after, size)` makes it:
    (body, next cursor, more); kept only when more (a full page)."""
    def render_and_keep():
        key = _key(organization, after, size)
        try:
            redis = queues.redis_connection()
            if redis.exists(key) or not redis.set(key + ":rendering", 1, nx=True, ex=READ_AHEAD_SECONDS):
                return  # kept already or under way (the same page asked twice)
            try:
                body, next_cursor, more = render(organization, after, size)
                with redis.pipeline() as pipe:
                    if more:
                        pipe.set(key, b"%d\n" % next_cursor + body, ex=READ_AHEAD_SECONDS)
                    pipe.rpush(key + ":ready", 1)  # wakes a request waiting for it
                    pipe.expire(key + ":ready", WAIT_SECONDS + 1)
                    pipe.execute()
            finally:
                redis.delete(key + ":rendering")
        except Exception:
            log.warning("feed read-ahead failed", exc_info=True)
    after_response(f"contacts.feed:{after}:{size}", render_and_keep)
