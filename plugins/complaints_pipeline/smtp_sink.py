"""A local SMTP server on loopback that stores every message it receives as an .eml file.

Used by the demo and the tests in place of a real mail relay: `python -m complaints_pipeline.smtp_sink`.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_counter = itertools.count(1)


class SaveToFolder:
    """aiosmtpd handler: one .eml file per message, written whole before it becomes visible.

    `reject` messages are first refused with a temporary error, as a busy relay does: a rehearsal of
    the pipeline's retry of a failed send.
    """

    TEMPORARY_FAILURE = "451 4.3.0 Mail server busy, try again later"

    def __init__(self, folder: Path, reject: int = 0) -> None:
        self.folder = folder
        self.reject = reject
        self.rejected = 0
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.reject > 0:
            self.reject -= 1
            self.rejected += 1
            return self.TEMPORARY_FAILURE
        name = f"{time.time_ns()}-{os.getpid()}-{next(_counter):05d}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"


# Said in the sink's SMTP greeting, so a run can tell it from another server on the port.
SINK_IDENT = "complaints-pipeline SMTP sink"


class SmtpSink:
    """Context manager: an SMTP server on 127.0.0.1:port saving messages into folder."""

    def __init__(self, folder: Path, port: int = 0, host: str = "127.0.0.1") -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port or free_port(host)
        self.handler = SaveToFolder(self.folder)
        self._controller = Controller(self.handler, hostname=host, port=self.port, server_kwargs={"ident": SINK_IDENT})

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def reject_next(self, count: int) -> None:
        """Refuse the next `count` messages with a temporary failure (451)."""
        self.handler.reject = count


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether anything accepts connections on host:port."""
    with socket.socket() as probe:
        probe.settimeout(timeout)
        return probe.connect_ex((host, port)) == 0


def port_holder(host: str, port: int, timeout: float = 2.0) -> str | None:
    """Who listens on host:port: None when nothing does, SINK_IDENT when this project's sink does, else
    what it said first (or that it said nothing: an HTTP server, Mailpit's web UI)."""
    with socket.socket() as probe:
        probe.settimeout(timeout)
        if probe.connect_ex((host, port)) != 0:
            return None
        try:
            greeting = probe.recv(200).decode("ascii", errors="replace").strip()
        except OSError:
            greeting = ""
    if SINK_IDENT in greeting:
        return SINK_IDENT
    return f"it greeted {greeting[:60]!r}" if greeting else f"it sent no SMTP greeting within {timeout:.0f} s"


def check_port(host: str, port: int) -> None:
    """SystemExit in one line when the port is taken by anything but this project's sink."""
    holder = port_holder(host, port)
    if holder not in (None, SINK_IDENT):
        raise SystemExit(
            f"port {port} on {host} is taken by something that is not this project's SMTP sink ({holder}); "
            f"free it, or choose another port: make demo SMTP_PORT={port + 1}"
        )


def start_background(folder: Path, port: int, pidfile: Path, host: str = "127.0.0.1") -> None:
    """Start the sink as a detached process unless it already listens on the port (anything else there:
    SystemExit, see check_port)."""
    check_port(host, port)
    if listening(host, port):
        print(f"SMTP sink already listening on {host}:{port}")
        return
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log = (pidfile.parent / "smtp_sink.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "complaints_pipeline.smtp_sink", "serve", "--dir", str(folder), "--port", str(port)],
        stdout=log,
        stderr=log,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    pidfile.write_text(str(process.pid))
    for _ in range(100):
        if listening(host, port):
            print(f"SMTP sink listening on {host}:{port}, saving to {folder}")
            return
        time.sleep(0.1)
    raise RuntimeError(f"the SMTP sink did not start on {host}:{port}; see {pidfile.parent / 'smtp_sink.log'}")


def stop_background(pidfile: Path) -> None:
    if not pidfile.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
    pidfile.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["serve", "start", "stop"])
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--pidfile", type=Path, default=Path("var/run/smtp_sink.pid"))
    args = parser.parse_args(argv)
    if args.action == "start":
        start_background(args.dir, args.port, args.pidfile)
    elif args.action == "stop":
        stop_background(args.pidfile)
    else:
        stop = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # before the server thread starts, so it inherits the mask
        with SmtpSink(args.dir, args.port):
            signal.sigwait(stop)


if __name__ == "__main__":
    main()
