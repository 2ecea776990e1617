"""A throwaway PostgreSQL server for tests and CI: initdb into a temp dir, loopback only.

Tests need a real PostgreSQL (the version check, SKIP LOCKED and LISTEN/NOTIFY are the
database's own behaviour, so a fake would prove nothing). `initdb` refuses to run as
root, so under root every server command runs as the `postgres` user through
`runuser`, in a directory that user owns. The server listens on 127.0.0.1 on a free
port and on a Unix socket in its own directory (`-k`), never in /var/run/postgresql,
and is built for speed over durability (fsync off): it is thrown away at the end.

As a script (`.ci/with-postgres` calls it): `python tests/pg_server.py CMD ARGS…`
starts a server, runs CMD with `ECHOER_TEST_PG_URL` set to its URL, stops the server
and exits with CMD's status; without CMD it prints the URL and stops the server at
Ctrl-C or end of stdin.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DATABASE = "echoer_test"
URL_VARIABLE = "ECHOER_TEST_PG_URL"
"""Names a running server's database for the tests (instead of starting one)."""
SEARCH_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin")


class PgUnavailable(RuntimeError):
    """The PostgreSQL binaries (or the means to run them) are not on this machine."""


def find_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres live: $ECHOER_PG_BIN alone if set, else
    Debian's versioned dirs (newest first), the usual others, and PATH."""
    wanted = os.environ.get("ECHOER_PG_BIN")
    candidates: list[Path] = []
    if wanted:
        candidates.append(Path(wanted))
    else:
        for pattern in SEARCH_DIRS:
            candidates += [Path(p) for p in sorted(glob.glob(pattern), reverse=True)]
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgServer:
    """A running throwaway server; `stop()` kills it and removes its directory."""

    bindir: Path
    root: Path
    port: int
    as_postgres: bool

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "sock"

    def dsn(self, database: str = DATABASE, **options: str) -> str:
        url = f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
        if options:
            url += "?" + "&".join(f"{key}={value}" for key, value in options.items())
        return url

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    def _checked(self, *argv: str) -> None:
        done = self._run(*argv)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )

    def start(self) -> None:
        self._checked(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.sockdir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        # pg_ctl -w returns once the server accepts connections (or fails after -t).
        self._checked(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )
        self._checked(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE
        )

    def stop(self) -> None:
        if self.datadir.exists():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """Start a fresh server; PgUnavailable when the binaries or `runuser` are missing."""
    bindir = find_bindir()
    if bindir is None:
        raise PgUnavailable(
            "PostgreSQL binaries (initdb, pg_ctl, postgres) not found in "
            + (os.environ.get("ECHOER_PG_BIN") or ", ".join(SEARCH_DIRS) + " or PATH")
            + "; install PostgreSQL 15 (Debian: postgresql-15) or set ECHOER_PG_BIN"
        )
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        raise PgUnavailable("running as root, but `runuser` is missing to run initdb as postgres")
    root = Path(tempfile.mkdtemp(prefix="echoer-pg-"))
    (root / "sock").mkdir()
    if as_postgres:
        try:
            for path in (root, root / "sock"):
                shutil.chown(path, user="postgres", group="postgres")
        except (LookupError, OSError) as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise PgUnavailable(f"running as root, but no usable `postgres` user: {exc}") from None
    server = PgServer(bindir, root, free_port(), as_postgres)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    try:
        server = start_server()
    except PgUnavailable as exc:
        print(f"pg_server: {exc}", file=sys.stderr)
        return 3
    try:
        if not command:
            print(server.dsn(), flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                sys.stdin.read()
            return 0
        env = {**os.environ, URL_VARIABLE: server.dsn()}
        try:
            return subprocess.run(command, env=env, check=False).returncode
        except KeyboardInterrupt:
            return 130
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
