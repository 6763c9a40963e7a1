"""Processes the tests start: the app's servers on a free port and a throwaway PostgreSQL cluster.

One place for what ``tests/conftest.py`` (``start_app``: the ``eit-geo app`` command) and
``tests/e2e/conftest.py`` (``app_servers``: ``streamlit run app.py``) both need.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EIT_GEO = str(Path(sys.executable).with_name("eit-geo"))
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> None:
    """Poll ``condition`` until it holds; raise ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            msg = f"{what}: still not the case after {timeout} s"
            raise TimeoutError(msg)
        time.sleep(interval)  # between two polls of `condition`, within the deadline


class ServerProcess:
    """One process serving the app on a free port of 127.0.0.1, its output in a log file.

    The constructor returns once ``/_stcore/health`` answers; ``stop()`` sends SIGTERM, as a
    terminal's Ctrl+C or a container runtime would.
    """

    def __init__(
        self,
        command: Callable[[int], list[str]],
        *,
        env: dict[str, str],
        log_path: Callable[[int], Path],
        cwd: Path,
        timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path(self.port)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command(self.port),
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy(timeout)

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            self.stop()
            msg = f"{self.process.args[0]} exited ({self.process.returncode}): {self.log_tail()}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _wait_healthy(self, timeout: float) -> None:
        try:
            wait_until(self._healthy, timeout=timeout, what="server health", interval=0.25)
        except TimeoutError:
            self.stop()
            msg = f"not healthy after {timeout} s: {self.log_tail()}"
            raise RuntimeError(msg) from None

    def log_text(self) -> str:
        """Return what the server printed so far."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self) -> str:
        """Return the end of the log (for failure messages)."""
        return self.log_text()[-4000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Send ``sig``, wait for the end (kill after ``timeout`` s); return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode


class RunningApp(ServerProcess):
    """One ``eit-geo app ARGS`` process (the command as users type it), run in its log's folder."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        super().__init__(
            lambda port: [EIT_GEO, "app", *args, "--port", str(port)],
            env=env,
            log_path=lambda _port: log_path,
            cwd=log_path.parent,
        )


def zone_source(zone: str) -> str:
    """Return what ``EIT_GEO_ZONE`` gets for ``zone``: a shipped example's folder, or a path."""
    example = REPO / "data" / "examples" / zone
    return str(example if example.is_dir() else Path(zone).resolve())


def streamlit_run(port: int) -> list[str]:
    """Return the command serving ``app.py`` with plain ``streamlit run`` on ``port``."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.enableStaticServing", "true",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip


class AppServer(ServerProcess):
    """One ``streamlit run app.py`` process serving one zone, as the end-to-end tests open it."""

    def __init__(self, zone: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.zone = zone
        super().__init__(
            streamlit_run,
            env={"EIT_GEO_ZONE": zone_source(zone), **(env or {})},
            log_path=lambda port: log_dir / f"streamlit-{Path(zone).name}-{port}.log",
            cwd=REPO,
        )


# --- a throwaway PostgreSQL cluster ------------------------------------------------------------


def postgres_bin() -> Path | None:
    """Return the newest Debian PostgreSQL's ``bin`` folder, if one is installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


@contextmanager
def postgres_cluster(bin_dir: Path) -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary folder on a free port; yield its URL.

    The cluster listens on 127.0.0.1 only and is stopped and deleted on exit. As root, initdb and
    pg_ctl run as the ``postgres`` user.
    """
    folder = Path(tempfile.mkdtemp(prefix="eit-geo-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(bin_dir / "pg_ctl")
    run(pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
