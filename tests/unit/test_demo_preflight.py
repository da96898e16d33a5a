"""`make demo` finds misconfiguration before any work, and says it in one line (issue 19, point 4)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from complaints_pipeline.smtp_sink import SINK_IDENT, SmtpSink, free_port, port_holder

PLUGINS = Path(__file__).parents[2] / "plugins"


def _demo(tmp_path: Path, port: int, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("complaints")), "demo", "--smtp-port", str(port), "--days", "1"],
        env={**os.environ, "PYTHONPATH": str(PLUGINS), "COMPLAINTS_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


def test_a_port_taken_by_another_server_stops_the_demo_at_once_in_one_line(tmp_path: Path) -> None:
    # Something that accepts connections and says nothing, as Mailpit's web UI on 8025 does.
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    try:
        result, seconds = _demo(tmp_path, port)
    finally:
        server.close()
        for connection in accepted:
            connection.close()
    assert result.returncode != 0 and seconds < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port} on 127.0.0.1 (the loopback SMTP sink's) is taken by something that is not" in lines[0]
    assert f"SMTP_PORT={port + 1}" in lines[0]
    assert not (tmp_path / "landing").exists()  # nothing was generated


def test_the_projects_own_sink_on_the_port_is_recognised(tmp_path: Path) -> None:
    with SmtpSink(tmp_path / "mail") as sink:
        assert port_holder("127.0.0.1", sink.port) == SINK_IDENT
    assert port_holder("127.0.0.1", free_port()) is None


def test_a_wrong_mode_stops_the_demo_in_one_line(tmp_path: Path) -> None:
    result, seconds = _demo(tmp_path, free_port(), COMPLAINTS_MODE="cluster")
    assert result.returncode != 0 and seconds < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("complaints: ") and "COMPLAINTS_MODE" in lines[0], result.stderr
