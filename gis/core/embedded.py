"""The embedded PostgreSQL+PostGIS+pgRouting cluster under ``.gridmap/`` (Unix socket only).

It is private to the working directory: its own data folder, its own socket folder, no TCP
listener, never the system-wide cluster. ``initdb`` refuses root, so as root the cluster runs
as the unprivileged ``postgres`` system user (created by Debian's postgresql package).

Its log never holds statement text or parameters (``QUIET_LOG``): psycopg2 inlines parameters
client-side, so a statement PostgreSQL logs with an error would carry residents' ID numbers
and phones. The settings are written at initdb, passed on every start and, for a cluster
already running, set with ALTER SYSTEM and a reload.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gis.core.errors import DatabaseUnavailable
from gis.core.settings import Settings

PORT = 5432  # only names the socket file (.s.PGSQL.5432); there is no TCP listener
EXTENSIONS = ("postgis", "pgrouting", "pg_trgm")
_DEBIAN_BIN = Path("/usr/lib/postgresql")
QUIET_LOG: dict[str, str] = {
    "log_min_error_statement": "panic", "log_statement": "none",
    "log_min_duration_statement": "-1", "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0"}
DURABLE: dict[str, str] = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
"""A commit is on disk before gridmap acknowledges it (earlier clusters were made with all three
off; passed on every start, so those become durable too). Throw-away test databases turn
``synchronous_commit`` off for themselves (tests/dbs.py)."""
SERVER_SETTINGS: dict[str, str] = {**QUIET_LOG, **DURABLE}
"""Logging settings that keep statements and their parameters out of the server log."""


@dataclass(frozen=True)
class Cluster:
    """Paths of one embedded cluster."""

    home: Path
    bin_dir: Path
    db_name: str

    @property
    def data(self) -> Path:
        return self.home / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def url(self) -> str:
        """SQLAlchemy URL of this cluster's database, over its Unix socket."""
        return (
            f"postgresql+psycopg2://{_superuser()}@/{self.db_name}"
            f"?host={self.socket_dir}&port={PORT}"
        )


def cluster_from_settings(settings: Settings) -> Cluster:
    """The embedded cluster the settings describe (it may not exist yet)."""
    return Cluster(settings.home_dir(), find_bin_dir(settings.pg_bin), settings.db_name)


def find_bin_dir(configured: Path | None = None) -> Path:
    """Folder with initdb and pg_ctl: the configured one, Debian's newest, or PATH."""
    if configured is not None:
        # a configured folder is the one wanted: no silent fallback to another version
        if (configured / "initdb").exists() and (configured / "pg_ctl").exists():
            return configured
        raise DatabaseUnavailable(
            f"GRIDMAP_PG_BIN={configured} has no initdb/pg_ctl: point it at a PostgreSQL "
            "bin folder (e.g. /usr/lib/postgresql/15/bin) or unset it")
    candidates: list[Path] = []
    if _DEBIAN_BIN.is_dir():
        versions = sorted(_DEBIAN_BIN.iterdir(), key=lambda p: _version_key(p.name), reverse=True)
        candidates += [v / "bin" for v in versions]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise DatabaseUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's "
        "postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting (make does this), "
        "or set GRIDMAP_DATABASE_URL to a database of your own."
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)


def _run_user() -> str | None:
    """The unprivileged user that runs the server, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--home-dir", "/var/lib/postgresql", "--shell",
             "/bin/bash", "postgres"], check=True, capture_output=True,
        )
    return "postgres"


def _superuser() -> str:
    user = _run_user()
    return user or pwd.getpwuid(os.geteuid()).pw_name


def _as_server_user(cmd: list[str], cluster: Cluster) -> subprocess.CompletedProcess[str]:
    user = _run_user()
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cluster.home, check=False)


def status(cluster: Cluster) -> str:
    """'running', 'stopped' or 'absent' (never initialised)."""
    if not (cluster.data / "PG_VERSION").exists():
        return "absent"
    done = _as_server_user([str(cluster.bin_dir / "pg_ctl"), "status", "-D", str(cluster.data)],
                           cluster)
    return "running" if done.returncode == 0 else "stopped"


def init(cluster: Cluster, *, sync: bool = True) -> None:
    """Create the data folder with initdb (trust auth on the private socket only); without
    ``sync`` initdb does not wait for the files to reach the disk (throw-away clusters)."""
    cluster.home.mkdir(parents=True, exist_ok=True)
    cluster.socket_dir.mkdir(exist_ok=True)
    user = _run_user()
    if user:
        for path in (cluster.home, cluster.socket_dir):
            shutil.chown(path, user)
    done = _as_server_user(
        [str(cluster.bin_dir / "initdb"), "-D", str(cluster.data), "-U", _superuser(),
         "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", *([] if sync else ["--no-sync"])],
        cluster,
    )
    if done.returncode != 0:
        raise DatabaseUnavailable(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")
    conf = cluster.data / "postgresql.conf"
    with conf.open("a", encoding="utf-8") as fh:
        fh.write(
            "\n# gridmap embedded cluster: private socket, no TCP\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{cluster.socket_dir}'\n"
            f"port = {PORT}\n"
            "shared_buffers = 512MB\nwork_mem = 64MB\nmaintenance_work_mem = 512MB\n"
            "max_connections = 60\n"
            "# no statement text or parameters in the log (personal data); commits on disk\n"
            + "".join(f"{name} = {value}\n" for name, value in SERVER_SETTINGS.items())
        )


def start(cluster: Cluster) -> bool:
    """Start the cluster (creating it first if needed); False when it was already running."""
    state = status(cluster)
    if state == "running":
        _quiet_running(cluster)
        return False
    if state == "absent":
        init(cluster)
    options = " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())
    done = _as_server_user(
        [str(cluster.bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(cluster.data),
         "-l", str(cluster.log), "-o", options], cluster,
    )
    if done.returncode != 0:
        tail = cluster.log.read_text(encoding="utf-8", errors="replace").splitlines()[-3:]
        raise DatabaseUnavailable(f"the embedded database did not start: {' | '.join(tail)}")
    _ensure_database(cluster)
    return True


def stop(cluster: Cluster) -> bool:
    """Stop the cluster; False when it was not running."""
    if status(cluster) != "running":
        return False
    _as_server_user([str(cluster.bin_dir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D",
                     str(cluster.data)], cluster)
    return True


def _psql(cluster: Cluster) -> list[str]:
    return [str(cluster.bin_dir / "psql"), "-h", str(cluster.socket_dir), "-p", str(PORT),
            "-U", _superuser(), "-v", "ON_ERROR_STOP=1", "-qAt"]


def _quiet_running(cluster: Cluster) -> None:
    """SERVER_SETTINGS for a cluster started before they existed (ALTER SYSTEM, then a
    reload); a cluster whose conf already holds them costs one file read."""
    sets = [f"ALTER SYSTEM SET {name} = '{value}'" for name, value in SERVER_SETTINGS.items()]
    try:
        auto = (cluster.data / "postgresql.auto.conf").read_text(encoding="utf-8")
        conf = (cluster.data / "postgresql.conf").read_text(encoding="utf-8")
    except OSError:
        auto = conf = ""
    if all(f"{n} = {v}" in conf or f"{n} = '{v}'" in auto
           for n, v in SERVER_SETTINGS.items()):
        return
    # one -c per statement: each runs on its own, as ALTER SYSTEM needs (no transaction)
    commands = [arg for sql in (*sets, "SELECT pg_reload_conf()") for arg in ("-c", sql)]
    _as_server_user([*_psql(cluster), "-d", "postgres", *commands], cluster)


def _ensure_database(cluster: Cluster) -> None:
    psql = _psql(cluster)
    exists = _as_server_user([*psql, "-d", "postgres", "-c",
                              f"SELECT 1 FROM pg_database WHERE datname = '{cluster.db_name}'"],
                             cluster)
    if exists.stdout.strip() != "1":
        _as_server_user([*psql, "-d", "postgres", "-c", f'CREATE DATABASE "{cluster.db_name}"'],
                        cluster)
    ext_sql = "; ".join(f"CREATE EXTENSION IF NOT EXISTS {e} CASCADE" for e in EXTENSIONS)
    done = _as_server_user([*psql, "-d", cluster.db_name, "-c", ext_sql], cluster)
    if done.returncode != 0:
        raise DatabaseUnavailable(
            "extensions missing in the embedded database "
            f"({', '.join(EXTENSIONS)}): {done.stderr.strip()}"
        )
