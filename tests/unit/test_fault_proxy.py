"""The test fault proxy leaves no socket behind: a connection it kept open must not warn later, in another test.

A busy-mode connection that outlived the proxy once failed an unrelated test of the suite with "loop is closed"
(its writer was collected after the proxy's event loop had closed). Here no search node is needed: the proxy's
upstream is a plain listening socket on loopback.
"""

from __future__ import annotations

import gc
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.faults import Mode, fault_proxy

pytestmark = pytest.mark.unit
REQUEST = b"GET /_cluster/health HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n"


@pytest.fixture
def upstream() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def hook(report: Any) -> None:
        seen.append(f"{report.exc_value!r} in {report.object!r}")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    return seen


@pytest.mark.parametrize("mode", ["busy", "hang", "forward", "drop"])
def test_stopping_the_proxy_closes_every_connection(mode: Mode, upstream: int, unraisable: list[str]) -> None:
    with fault_proxy(upstream, mode) as proxy:
        gone = socket.create_connection(("127.0.0.1", proxy.port))
        gone.sendall(REQUEST)
        time.sleep(0.1)
        gone.close()  # the client leaves first
        kept = socket.create_connection(("127.0.0.1", proxy.port))
        kept.sendall(REQUEST)  # still open when the proxy stops
        deadline = time.monotonic() + 5
        while proxy.accepted < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proxy.accepted == 2
    kept.settimeout(5)  # the proxy closed it: reading ends now, not by this timeout
    try:
        while kept.recv(65536):
            pass
    except ConnectionResetError:
        pass  # aborted by the proxy: also closed
    finally:
        kept.close()
    gc.collect()
    assert unraisable == []
    if mode == "busy":
        assert proxy.busy_answers >= 1
