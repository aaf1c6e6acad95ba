"""FreshRead: concurrent callers share reads, and no caller gets a read that started before its call."""

from __future__ import annotations

import asyncio

import pytest

from service.core.fresh_read import FreshRead

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]


class Source:
    """A value that changes; each read records when it started and returns the value at that moment."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0
        self.gate = asyncio.Event()

    async def read(self) -> int:
        self.reads += 1
        seen = self.value
        await self.gate.wait()
        return seen


async def test_callers_arriving_together_share_one_read() -> None:
    source = Source()
    fresh = FreshRead(source.read)
    callers = [asyncio.create_task(fresh()) for _ in range(50)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*callers) == [0] * 50
    assert source.reads == 1


async def test_a_caller_arriving_during_a_read_gets_the_next_read() -> None:
    source = Source()
    fresh = FreshRead(source.read)
    early = asyncio.create_task(fresh())
    await asyncio.sleep(0.01)  # the first read is under way and has seen value 0
    source.value = 1  # the value changes while it runs
    late = [asyncio.create_task(fresh()) for _ in range(20)]
    await asyncio.sleep(0.01)
    source.gate.set()
    assert await early == 0
    # Every late caller arrived after the change: none may be answered from the read that began before it.
    assert await asyncio.gather(*late) == [1] * 20
    assert source.reads == 2


async def test_errors_reach_every_caller_of_that_read_and_the_next_read_is_clean() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("database down")
        return "up"

    fresh = FreshRead(flaky)
    results = await asyncio.gather(*(fresh() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await fresh() == "up"


async def test_a_cancelled_caller_does_not_cancel_the_shared_read() -> None:
    source = Source()
    fresh = FreshRead(source.read)
    leaving = asyncio.create_task(fresh())
    staying = asyncio.create_task(fresh())
    await asyncio.sleep(0.01)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    source.gate.set()
    assert await staying == 0
