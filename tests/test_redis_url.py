"""REDIS_URL names one or more Redis servers, each plain or through Sentinel
(config.redis_url); a value that cannot be used stops start-up with a message that says why,
and never repeats the password."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.sentinel
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

from config.redis_url import SentinelPool, redis_server, redis_servers

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_one_plain_url_is_given_to_the_layer_and_the_cache_as_it_is():
    (server,) = redis_servers("redis://127.0.0.1:6379/0")

    assert server.layer_host(max_connections=1000) == {
        "address": "redis://127.0.0.1:6379/0",
        "max_connections": 1000,
    }
    assert server.cache_settings() == {"LOCATION": "redis://127.0.0.1:6379/0"}


def test_unset_means_no_redis():
    assert redis_servers("") == ()
    assert redis_servers("   ") == ()


def test_several_urls_are_the_shards_in_their_order():
    servers = redis_servers("redis://a:6379/0, rediss://:secret@b:6380/1,unix:///run/r.sock?db=2")

    assert [server.url for server in servers] == [
        "redis://a:6379/0",
        "rediss://:secret@b:6380/1",
        "unix:///run/r.sock?db=2",
    ]
    assert not any(server.is_sentinel for server in servers)


def test_a_sentinel_url_names_its_sentinels_master_database_and_passwords():
    server = redis_server(
        "redis+sentinel://app:p%40ss@s1:26380,s2,10.0.0.3:5000/mymaster/2"
        "?sentinel_password=sp&sentinel_username=watcher"
    )

    assert server.is_sentinel
    assert server.master_name == "mymaster"
    assert server.sentinels == (("s1", 26380), ("s2", 26379), ("10.0.0.3", 5000))
    assert server.master_options == {"db": 2, "username": "app", "password": "p@ss"}
    assert server.sentinel_options["password"] == "sp"
    assert server.sentinel_options["username"] == "watcher"


def test_a_sentinel_master_is_a_channels_redis_host_with_sentinels():
    server = redis_server("redis+sentinel://:pw@s1:26379,s2:26379/mymaster")

    host = server.layer_host(max_connections=50)

    assert host["master_name"] == "mymaster"
    assert host["sentinels"] == [("s1", 26379), ("s2", 26379)]
    assert host["password"] == "pw"
    assert host["max_connections"] == 50
    assert "db" not in host


def test_sentinel_and_plain_urls_mix_and_the_commas_of_a_sentinel_list_stay_in_it():
    servers = redis_servers("redis+sentinel://s1,s2:26380/one/0,redis://c:6379/0")

    assert [server.is_sentinel for server in servers] == [True, False]
    assert servers[0].sentinels == (("s1", 26379), ("s2", 26380))
    assert servers[1].url == "redis://c:6379/0"


def test_the_cache_reaches_a_sentinel_master_through_its_own_pool():
    url = "redis+sentinel://:pw@s1:26379,s2:26379/mymaster/3"
    cache_settings = redis_server(url).cache_settings()

    # Django splits a LOCATION string on commas: the sentinels' commas must not reach it.
    cache = RedisCache(cache_settings["LOCATION"], {"OPTIONS": cache_settings["OPTIONS"]})
    pool = cache._cache._get_connection_pool(write=True)  # type: ignore[attr-defined]

    assert isinstance(pool, SentinelPool)
    assert pool.service_name == "mymaster"
    assert pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["password"] == "pw"
    sentinels = pool.sentinel_manager.sentinels
    assert isinstance(pool.sentinel_manager, redis.sentinel.Sentinel)
    assert [s.connection_pool.connection_kwargs["host"] for s in sentinels] == ["s1", "s2"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("http://redis:6379", "scheme must be one of"),
        ("127.0.0.1:6379", "scheme must be one of"),
        ("redis://host:port/0", "Port could not be cast"),
        ("redis://host:6379/zero", "database must be a number"),
        ("redis://a:6379/0,valkey://b:6379/0", "scheme must be one of"),
        ("redis+sentinel://s1:26379", "needs the master's name"),
        ("redis+sentinel://s1:26379/mymaster/0/extra", "needs the master's name"),
        ("redis+sentinel://s1:26379/mymaster/x", "database must be a number"),
        ("redis+sentinel://s1:nope/mymaster", "not a sentinel's host[:port]"),
        ("redis+sentinel://s1,,s2/mymaster", "not a sentinel's host[:port]"),
        ("redis+sentinel://s1/mymaster?socket_timeout=1", "unknown option 'socket_timeout'"),
    ],
)
def test_a_malformed_value_is_refused_with_the_reason(value, reason):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL") as refused:
        redis_servers(value)

    assert reason in str(refused.value)


def test_the_refusal_never_repeats_the_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        redis_servers("redis+sentinel://:hunter2@s1/mymaster/db")

    assert "hunter2" not in str(refused.value)


def test_a_malformed_redis_url_stops_start_up_naming_the_variable():
    env = {**os.environ, "REDIS_URL": "redis://a:6379/0,redis+sentinel://s1:26379"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "REDIS_URL (a redis+sentinel URL) is not usable" in result.stderr
