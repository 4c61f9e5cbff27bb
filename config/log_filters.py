import asyncio
import logging

from core import log_context
from core.outages import dependency_failed


class LogContext(logging.Filter):
    """Puts the ids of the request or socket being served (core.log_context) on the record:
    `request_id`, or `socket_id` and `user_id`. The JSON format writes them as fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_context.current().items():
            setattr(record, name, value)
        return True


class DropPubSubCancelledCleanup(logging.Filter):
    """channels_redis's pub/sub layer logs an ERROR with a traceback for every socket that closes
    while its channel is being unsubscribed: the unsubscribe is cancelled along with the socket's
    task. Nothing is wrong then, and one such line per closed socket would bury real errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "channels_redis.pubsub" or not record.exc_info:
            return True
        return not isinstance(record.exc_info[1], asyncio.CancelledError)


class PubSubOutageToOutageLog(logging.Filter):
    """channels_redis's pub/sub layer logs an ERROR with a traceback each time its receive loop
    fails to reach Redis, again and again while Redis is down. The outage is reported once to
    core.outages instead (one line when it starts, one when it ends)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "channels_redis.pubsub" or not record.exc_info:
            return True
        error = record.exc_info[1]
        return error is None or dependency_failed(error) is None
