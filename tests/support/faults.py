"""A fault injector in front of a real search node: a loopback TCP proxy that forwards, hangs, drops, or answers 429.

It runs its own event loop in a thread, so in-process apps and served subprocesses can use it alike;
``mode`` can be switched while connections come and go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["forward", "hang", "drop", "busy"]
BUSY_BODY = {
    "error": {
        "root_cause": [{"type": "es_rejected_execution_exception", "reason": "rejected execution (injected by the test proxy)"}],
        "type": "es_rejected_execution_exception",
        "reason": "rejected execution (injected by the test proxy)",
    },
    "status": 429,
}


@dataclass
class FaultProxy:
    """Listens on 127.0.0.1:<port> and treats each new connection according to ``mode``."""

    upstream_port: int
    mode: Mode = "forward"
    port: int = 0
    accepted: int = 0
    busy_answers: int = 0
    # Forwarding: a request whose first line contains this is never forwarded (its connection hangs).
    hang_on: bytes | None = None
    hung_requests: int = 0
    # Forwarding: a request whose first line contains this is forwarded only after ``delay_seconds``.
    delay_on: bytes | None = None
    delay_seconds: float = 0.0
    delayed_requests: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _forwarded: set[asyncio.StreamWriter] = field(default_factory=set)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "mode" and value != "forward" and self._loop is not None:
            # Kept-alive connections must meet the new mode too: cut the ones being forwarded.
            self._loop.call_soon_threadsafe(self._cut_forwarded)

    def _cut_forwarded(self) -> None:
        for writer in list(self._forwarded):
            writer.transport.abort()
        self._forwarded.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Called synchronously as the connection is made, so even a connection whose task never got to run
        # is known, and aborted, when the proxy stops.
        self.accepted += 1
        self._open.add(writer)
        task = asyncio.get_running_loop().create_task(self._handle(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._treat(self.mode, reader, writer)
        finally:
            # Whatever ended the connection (the client, a mode, the proxy stopping), its socket is closed here:
            # a writer left open past its loop's end would warn when collected, in whichever test runs then.
            self._open.discard(writer)
            if not writer.transport.is_closing():
                writer.transport.abort()

    async def _treat(self, mode: Mode, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if mode == "drop":
            writer.transport.abort()
            return
        if mode == "hang":
            # Kept open: read and discard whatever comes, never answer (aborted with the rest on stop).
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):
                    pass
            return
        if mode == "busy":
            await self._answer_busy(reader, writer)
            return
        await self._forward(reader, writer)

    async def _answer_busy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.dumps(BUSY_BODY).encode()
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                    0,
                )
                await reader.readexactly(length)
                self.busy_answers += 1
                writer.write(
                    b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._forwarded.add(writer)  # before the upstream connect: a mode change meanwhile cuts it too
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self._forwarded.discard(writer)
            writer.transport.abort()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, requests: bool = False) -> None:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    if requests and self.mode != "forward":
                        # A connection accepted just before the mode changed must not keep forwarding.
                        writer.transport.abort()
                        return
                    first_line = data.split(b"\r\n", 1)[0] if requests else b""
                    if self.hang_on is not None and self.hang_on in first_line:
                        # Never forwarded nor answered; ends when the client gives up or the proxy stops.
                        self.hung_requests += 1
                        while await src.read(65536):
                            pass
                        break
                    if self.delay_on is not None and self.delay_on in first_line:
                        self.delayed_requests += 1
                        await asyncio.sleep(self.delay_seconds)
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer, requests=True), pipe(up_reader, writer))
        finally:
            self._forwarded.discard(writer)
            up_writer.transport.abort()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        server = loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for writer in list(self._open):  # every accepted connection still open, hung and forwarded ones included
                writer.transport.abort()
            # Let every connection's task end (a forwarded one closes its upstream socket on the way out).
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(_settle(pending))
            loop.run_until_complete(server.wait_closed())
            loop.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


async def _settle(tasks: set[asyncio.Task[object]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def fault_proxy(upstream_port: int, mode: Mode = "forward") -> Iterator[FaultProxy]:
    """A running proxy to ``127.0.0.1:upstream_port``; stopped on exit."""
    proxy = FaultProxy(upstream_port, mode)
    thread = threading.Thread(target=proxy._serve, name="fault-proxy", daemon=True)
    thread.start()
    proxy._ready.wait(10)
    try:
        yield proxy
    finally:
        proxy.stop()
        thread.join(10)
