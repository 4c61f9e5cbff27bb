"""Dropping the Redis connections of chosen processes, as a Redis restart or a network blip
would, without touching any other client of the same Redis."""

import psutil
from django.conf import settings


def drop_redis_connections(*pids: int) -> int:
    """CLIENT KILL every connection the given processes hold to Redis (to every server of
    REDIS_URL); returns how many."""
    # (client port, server port) of each connection: CLIENT LIST shows both (addr, laddr).
    held = {
        (connection.laddr.port, connection.raddr.port)
        for pid in pids
        for connection in psutil.Process(pid).net_connections(kind="tcp")
        if connection.raddr
    }
    killed = 0
    for server in settings.REDIS_SERVERS:
        admin = server.client()
        try:
            ids = [
                client["id"]
                for client in admin.client_list()
                if (_port(client["addr"]), _port(client["laddr"])) in held
            ]
            for client_id in ids:
                admin.client_kill_filter(_id=client_id)
            killed += len(ids)
        finally:
            admin.close()
    return killed


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])
