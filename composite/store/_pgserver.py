"""A throwaway PostgreSQL server in a temporary folder: for the store's tests and its benchmark.

`initdb` with trust auth, `pg_ctl start` on 127.0.0.1 and a free port, the socket in the same
folder; run as the unprivileged `postgres` user when we are root (initdb refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "composite"
DATABASE = "composite"


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (PATH first, then Debian's layout), or None."""
    found = shutil.which("initdb")
    candidates = [Path(os.path.realpath(found)).parent] if found else []
    candidates += sorted((Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
                         key=lambda p: _major(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres", "psql")):
            return folder
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def missing_reason() -> str:
    return ("PostgreSQL server binaries (initdb, pg_ctl) are not installed: not on PATH nor in "
            "/usr/lib/postgresql/*/bin; install the `postgresql` package (.ci/system-packages does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryServer:
    """A PostgreSQL server of our own; `url` reaches its `composite` database as user `composite`.

    `durable=False` turns fsync off (tests: a crash of the machine does not matter there);
    the benchmark keeps PostgreSQL's defaults.
    """

    def __init__(self, *, durable: bool = False) -> None:
        folder = binaries()
        if folder is None:
            raise RuntimeError(missing_reason())
        self.bin = folder
        self.root = Path(tempfile.mkdtemp(prefix="composite-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.durable = durable
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            setpriv = shutil.which("setpriv")
            import pwd

            account = pwd.getpwnam("postgres")  # KeyError: no unprivileged account to run it as
            if runuser:
                self._as = [runuser, "-u", "postgres", "--"]
            elif setpriv:
                self._as = [setpriv, f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups"]
            else:
                raise RuntimeError("running as root and neither runuser nor setpriv is available to run "
                                   "initdb as the postgres user")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._started = False

    @property
    def url(self) -> str:
        return self.database_url(DATABASE)

    def database_url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> "TemporaryServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.root}", "-c max_connections=60"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for attempt in range(3):
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                          "-o", " ".join(options), "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                self.port = _free_port()  # someone took the port between our probe and the start
                options[0] = f"-p {self.port}"
        self._started = True
        self._run(str(self.bin / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", USER, "-d", "postgres",
                  "-q", "-c", f"CREATE DATABASE {DATABASE}")
        return self

    def create_database(self, name: str) -> str:
        """A new empty database on this server; its URL."""
        self._run(str(self.bin / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", USER, "-d", "postgres",
                  "-q", "-c", f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def restart(self) -> None:
        """Stop (disconnecting every client at once) and start again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-m", "fast", "restart")

    def stop(self) -> None:
        try:
            if self._started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-m", "fast", "stop")
                self._started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "TemporaryServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

