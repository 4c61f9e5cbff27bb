"""REDIS_URL: the Redis servers of the channel layer and the cache, as one or more URLs.

  redis://[[user]:password@]host[:port][/db]    one server; rediss:// for TLS,
                                                unix:///path/to/redis.sock?db=0 for a local socket
  redis+sentinel://[[user]:password@]sentinel[:port][,sentinel[:port]...]/master[/db]
      [?sentinel_password=...&sentinel_username=...]
                                                the master that Redis Sentinel knows as `master`,
                                                asked of those sentinels (port 26379 unless
                                                given); a failover is followed without a restart.
                                                The user and password are the master's.
  several of these, comma-separated             the channel layer shards its groups and channels
                                                across them; the cache uses the first

Sharding: channels_redis hashes each group or channel name onto one server of the list, so every
process must be given the same list in the same order (the hash is of the position). A room's
messages go through one server, which keeps them in order. The cache (the login and sign-up
throttles) lives on the first server only: Django's own list form would write to the first and
read from the others, as replicas, which these are not.

The URLs are told apart by their scheme: a comma followed by `scheme://` starts the next one, so
a sentinel URL lists its sentinels separated by commas too. Anything malformed (an unknown
scheme, a port or database that is not a number, a sentinel URL without a master name, an
unknown option) stops start-up with ImproperlyConfigured.
"""

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.sentinel
from django.core.exceptions import ImproperlyConfigured

SENTINEL_SCHEME = "redis+sentinel"
DIRECT_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_PORT = 26379
# Sentinels answer one short question (where is the master?); one that does not answer within
# this is skipped for the next.
SENTINEL_TIMEOUT_SECONDS = 2.0
_SENTINEL_OPTIONS = ("sentinel_password", "sentinel_username")
# A comma followed by a scheme starts the next URL; other commas belong to a sentinel list.
_NEXT_URL = re.compile(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")


@dataclass(frozen=True)
class RedisServer:
    """One Redis server of REDIS_URL: a URL redis-py reads as it is, or a Sentinel master."""

    url: str
    master_name: str | None = None
    sentinels: tuple[tuple[str, int], ...] = ()
    # The master's connection options (db, username, password), for a Sentinel master.
    master_options: dict[str, Any] = field(default_factory=dict)
    sentinel_options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sentinel(self) -> bool:
        return self.master_name is not None

    def layer_host(self, **pool_options: Any) -> dict[str, Any]:
        """This server as an entry of channels_redis's `hosts`."""
        if not self.is_sentinel:
            return {"address": self.url, **pool_options}
        return {
            "master_name": self.master_name,
            "sentinels": list(self.sentinels),
            "sentinel_kwargs": self.sentinel_options,
            **self.master_options,
            **pool_options,
        }

    def cache_settings(self) -> dict[str, Any]:
        """LOCATION and OPTIONS of a Django RedisCache on this server alone."""
        if not self.is_sentinel:
            return {"LOCATION": self.url}
        # A list, so that Django does not split the sentinels' commas into servers of its own.
        return {"LOCATION": [self.url], "OPTIONS": {"pool_class": f"{__name__}.SentinelPool"}}

    def client(self, **options: Any) -> redis.Redis:
        """A (synchronous) redis-py client of this server."""
        if not self.is_sentinel:
            return redis.Redis.from_url(self.url, **options)
        return redis.Redis(connection_pool=SentinelPool.from_url(self.url, **options))


class SentinelPool(redis.sentinel.SentinelConnectionPool):
    """The connection pool of a `redis+sentinel://` URL. Django's RedisCache makes its pool with
    `pool_class.from_url(location, **options)`; redis-py's own sentinel pool has no such URL."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "SentinelPool":
        server = redis_server(url)
        assert server.master_name is not None, "not a redis+sentinel:// URL"
        sentinel = redis.sentinel.Sentinel(
            list(server.sentinels), sentinel_kwargs=server.sentinel_options
        )
        return cls(server.master_name, sentinel, **server.master_options, **options)


def redis_servers(value: str) -> tuple[RedisServer, ...]:
    """The servers REDIS_URL names, in its order (none when it is empty)."""
    value = value.strip()
    if not value:
        return ()
    return tuple(redis_server(url) for url in _NEXT_URL.split(value))


def redis_server(url: str) -> RedisServer:
    url = url.strip()
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme == SENTINEL_SCHEME:
        return _sentinel_server(url)
    if scheme not in DIRECT_SCHEMES:
        raise _bad(
            url, f"the scheme must be one of {', '.join((*DIRECT_SCHEMES, SENTINEL_SCHEME))}"
        )
    try:
        redis.connection.parse_url(url)
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise _bad(url, str(exc)) from None
    if scheme != "unix" and parts.path.strip("/"):
        _database(url, parts.path.strip("/"))
    return RedisServer(url=url)


def _sentinel_server(url: str) -> RedisServer:
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    sentinels = tuple(_sentinel_address(url, host) for host in hosts.split(","))
    path = [unquote(part) for part in parts.path.split("/") if part]
    if not path or len(path) > 2:
        raise _bad(url, "it needs the master's name, as in redis+sentinel://host:26379/mymaster/0")
    master_options: dict[str, Any] = {}
    if len(path) == 2:
        master_options["db"] = _database(url, path[1])
    username, _, password = credentials.partition(":")
    if username:
        master_options["username"] = unquote(username)
    if password:
        master_options["password"] = unquote(password)
    sentinel_options: dict[str, Any] = {
        "socket_connect_timeout": SENTINEL_TIMEOUT_SECONDS,
        "socket_timeout": SENTINEL_TIMEOUT_SECONDS,
    }
    for name, values in parse_qs(parts.query, keep_blank_values=True).items():
        if name not in _SENTINEL_OPTIONS:
            raise _bad(url, f"unknown option {name!r} (known: {', '.join(_SENTINEL_OPTIONS)})")
        sentinel_options[name.removeprefix("sentinel_")] = values[-1]
    return RedisServer(
        url=url,
        master_name=path[0],
        sentinels=sentinels,
        master_options=master_options,
        sentinel_options=sentinel_options,
    )


def _sentinel_address(url: str, host: str) -> tuple[str, int]:
    try:
        # urlsplit reads the host and port of one address, IPv6 brackets included.
        address = urlsplit(f"//{host.strip()}")
        name, port = address.hostname, address.port
    except ValueError:
        name, port = None, None
    if not name:
        raise _bad(url, f"{host.strip()!r} is not a sentinel's host[:port]")
    return name, port or SENTINEL_PORT


def _database(url: str, text: str) -> int:
    if not text.isdigit():
        raise _bad(url, f"the database must be a number, got {text!r}")
    return int(text)


def _bad(url: str, reason: str) -> ImproperlyConfigured:
    # The URL may hold a password: only its scheme is repeated.
    scheme = urlsplit(url).scheme if "://" in url else "(none)"
    return ImproperlyConfigured(f"REDIS_URL (a {scheme or '(none)'} URL) is not usable: {reason}.")
