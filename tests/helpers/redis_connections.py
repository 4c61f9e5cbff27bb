"""Dropping the Redis connections of chosen processes, as a Redis restart or a network blip
would, without touching any other client of the same Redis."""

import psutil
import redis
from django.conf import settings


def drop_redis_connections(*pids: int) -> int:
    """CLIENT KILL every connection the given processes hold to Redis; returns how many."""
    port = int(redis.connection.parse_url(settings.REDIS_URL).get("port") or 6379)
    local_ports = {
        connection.laddr.port
        for pid in pids
        for connection in psutil.Process(pid).net_connections(kind="tcp")
        if connection.raddr and connection.raddr.port == port
    }
    admin = redis.Redis.from_url(settings.REDIS_URL)
    try:
        ids = [
            client["id"]
            for client in admin.client_list()
            if int(client["addr"].rsplit(":", 1)[1]) in local_ports
        ]
        for client_id in ids:
            admin.client_kill_filter(_id=client_id)
        return len(ids)
    finally:
        admin.close()
