"""Throwaway PostgreSQL and Redis servers that a test may stop, crash and restart.

The shared services on 5432/6379 serve everybody's tests and are never touched: these run on
free loopback ports, from a temporary directory, as child processes of the test run, and are
stopped by PID. PostgreSQL refuses to run as root, so under root it runs as the `postgres` OS
user (Debian's packages create it), with its data directory handed over to that user.
"""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from tests.e2e.servers import REPO_ROOT, free_port, server_environment

# Debian and Ubuntu install the server binaries here, one directory per major version.
DEBIAN_POSTGRES_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.05
MIGRATE_TIMEOUT_SECONDS = 120

# How PostgreSQL is stopped (pg_ctl's modes, as the signals the postmaster understands).
STOP_SIGNALS = {
    # Disconnect every session, write a checkpoint, exit: a restart.
    "fast": signal.SIGINT,
    # Quit at once, with crash recovery from the WAL at the next start: a crash or a failover.
    "immediate": signal.SIGQUIT,
}


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's, else the ones on PATH."""
    versions = [
        path
        for path in DEBIAN_POSTGRES_ROOT.glob("*/bin")
        if path.parent.name.isdigit() and (path / "postgres").is_file()
    ]
    if versions:
        return max(versions, key=lambda path: int(path.parent.name))
    found = shutil.which("postgres")
    return Path(found).parent if found and shutil.which("initdb") else None


def postgres_os_user() -> pwd.struct_passwd | None:
    """Who PostgreSQL runs as: the `postgres` user under root (it refuses root), else us."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("postgres")


def missing_binaries() -> str | None:
    """Why the throwaway services cannot run here (None if they can)."""
    if postgres_bin_dir() is None:
        return f"no PostgreSQL server binaries (initdb, postgres) in {DEBIAN_POSTGRES_ROOT} or PATH"
    if shutil.which("redis-server") is None:
        return "no redis-server on PATH"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no `postgres` OS user to run PostgreSQL as"
    return None


def _wait_for(ready, *, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if ready():
            return
        time.sleep(POLL_SECONDS)
    raise RuntimeError(
        f"{what} did not start (exit code {process.poll()}); its log:\n"
        + log.read_text(errors="replace")[-4000:]
    )


def _stop_process(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signum)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster of its own: trust authentication on 127.0.0.1, a free port."""

    bin_dir: Path
    base_dir: Path
    port: int
    os_user: pwd.struct_passwd | None
    process: subprocess.Popen | None = None

    @classmethod
    def create(cls) -> "ThrowawayPostgres":
        bin_dir = postgres_bin_dir()
        assert bin_dir is not None, missing_binaries()
        os_user = postgres_os_user()
        # Not under pytest's tmp_path: its parents are private to root, and PostgreSQL may be
        # another user.
        base_dir = Path(tempfile.mkdtemp(prefix="faults-postgres-"))
        if os_user is not None:
            os.chown(base_dir, os_user.pw_uid, os_user.pw_gid)
        server = cls(bin_dir=bin_dir, base_dir=base_dir, port=free_port(), os_user=os_user)
        try:
            server._initdb()
        except BaseException:
            shutil.rmtree(base_dir, ignore_errors=True)
            raise
        return server

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self) -> dict:
        """Popen arguments that run the command as the cluster's owner."""
        if self.os_user is None:
            return {}
        return {"user": self.os_user.pw_uid, "group": self.os_user.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                *("-D", str(self.data_dir)),
                *("-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"),
                # Only initdb's own writes skip fsync; the running server keeps it on, so an
                # acknowledged message survives an immediate stop as it would a crash.
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.base_dir,
            **self._as_owner(),
        )

    def start(self) -> None:
        if self.is_running:
            return
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"),
                    *("-D", str(self.data_dir)),
                    *("-p", str(self.port)),
                    *("-c", "listen_addresses=127.0.0.1"),
                    *("-c", f"unix_socket_directories={self.base_dir}"),
                    # Two daphne processes of DB_THREADS connections each, the launcher's two
                    # workers, the test process: well under PostgreSQL's default 100.
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.base_dir,
                **self._as_owner(),
            )
        _wait_for(self.answers, process=self.process, what="PostgreSQL", log=self.log_path)

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=1) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def stop(self, mode: str = "fast") -> None:
        if self.process is not None:
            _stop_process(self.process, STOP_SIGNALS[mode])

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


@dataclass
class ThrowawayRedis:
    """A redis-server of its own, in the foreground, nothing persisted."""

    base_dir: Path
    port: int
    process: subprocess.Popen | None = None
    # The port of the master this server is a replica of (None: a master itself).
    replica_of: int | None = None

    @classmethod
    def create(cls, *, replica_of: int | None = None) -> "ThrowawayRedis":
        base_dir = Path(tempfile.mkdtemp(prefix="faults-redis-"))
        return cls(base_dir=base_dir, port=free_port(), replica_of=replica_of)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "redis.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        return [
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--dir", str(self.base_dir)),
            *(("--replicaof", "127.0.0.1", str(self.replica_of)) if self.replica_of else ()),
        ]

    def start(self) -> None:
        if self.is_running:
            return
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.base_dir,
            )
        _wait_for(self.answers, process=self.process, what="Redis", log=self.log_path)

    def answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: what `systemctl restart redis` sends (nothing is saved: --save "")."""
        if self.process is not None:
            _stop_process(self.process, signal.SIGTERM)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


@dataclass
class ThrowawaySentinel(ThrowawayRedis):
    """A Redis Sentinel of its own (`redis-server --sentinel`) watching one master, which it
    knows as MASTER_NAME; ready once it names that master's address."""

    master_port: int = 0
    MASTER_NAME = "mymaster"

    @classmethod
    def watching(cls, master: ThrowawayRedis) -> "ThrowawaySentinel":
        base_dir = Path(tempfile.mkdtemp(prefix="faults-sentinel-"))
        return cls(base_dir=base_dir, port=free_port(), master_port=master.port)

    def command(self) -> list[str]:
        # Sentinel rewrites its configuration file as it learns: it must be a file of its own.
        config = self.base_dir / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.base_dir}\n"
            f"sentinel monitor {self.MASTER_NAME} 127.0.0.1 {self.master_port} 1\n"
            # A master that stops answering is failed over after a second, not 30.
            f"sentinel down-after-milliseconds {self.MASTER_NAME} 1000\n"
        )
        return ["redis-server", str(config), "--sentinel"]

    def master(self) -> tuple[str, int] | None:
        """The address of the master this sentinel names now (None: it does not answer)."""
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            address = client.sentinel_get_master_addr_by_name(self.MASTER_NAME)
        except redis.RedisError:
            return None
        finally:
            client.close()
        if not isinstance(address, tuple | list):
            return None
        host, port = address
        return (host.decode() if isinstance(host, bytes) else host), int(port)

    def fail_over(self) -> None:
        """SENTINEL FAILOVER: promote a replica now, without waiting for the master to fail."""
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.execute_command("SENTINEL FAILOVER", self.MASTER_NAME)
        finally:
            client.close()

    def answers(self) -> bool:
        return self.master() is not None


@dataclass
class Services:
    """The throwaway PostgreSQL (its migrated database at `database_url`) and Redis."""

    postgres: ThrowawayPostgres
    redis: ThrowawayRedis
    database_url: str

    def ensure_running(self) -> None:
        self.postgres.start()
        self.redis.start()


def migrate(database_url: str, redis_url: str) -> None:
    """`manage.py migrate` against the throwaway database, as a deployment would run it."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=server_environment(DATABASE_URL=database_url, REDIS_URL=redis_url),
        check=True,
        capture_output=True,
        timeout=MIGRATE_TIMEOUT_SECONDS,
    )
