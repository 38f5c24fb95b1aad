"""The order notebooks start in: the build queues them (longest expected first, reused ones
before), and the runner's slots follow that queue whatever order the threads arrive in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from fundanalysis.errors import BuildError
from fundanalysis.pipeline.orchestrate import _expected, _Plan
from fundanalysis.pipeline.runners import OrderedSlots
from fundanalysis.pipeline.sections import Section


def _take_all(slots: OrderedSlots, tickets: list[int | None], arrival: list[int]) -> list[int | None]:
    """Threads taking ``tickets`` (arriving in the order of the indices in ``arrival``), one slot
    each for a moment: the order they got their slots in."""
    got: list[int | None] = []
    lock = threading.Lock()

    def worker(ticket: int | None) -> None:
        with slots.take(ticket):
            with lock:
                got.append(ticket)
            time.sleep(0.02)

    threads = []
    for i in arrival:
        th = threading.Thread(target=worker, args=(tickets[i],))
        th.start()
        threads.append(th)
        time.sleep(0.02)  # later arrivals really arrive later
    for th in threads:
        th.join(timeout=10)
        assert not th.is_alive(), "a thread never got its slot"
    return got


def test_slots_follow_the_queue_not_the_arrival() -> None:
    slots = OrderedSlots(1)
    tickets: list[int | None] = list(slots.queue(4))
    assert tickets == [0, 1, 2, 3]
    assert _take_all(slots, tickets, arrival=[3, 2, 1, 0]) == [0, 1, 2, 3]


def test_two_slots_start_the_first_two_tickets() -> None:
    slots = OrderedSlots(2)
    tickets: list[int | None] = list(slots.queue(4))
    got = _take_all(slots, tickets, arrival=[2, 3, 1, 0])
    assert set(got[:2]) == {0, 1} and set(got[2:]) == {2, 3}


def test_a_forgotten_ticket_lets_the_next_pass() -> None:
    slots = OrderedSlots(1)
    first, second = slots.queue(2)
    slots.forget(first)  # reused: its notebook never runs
    done = threading.Event()

    def take() -> None:
        with slots.take(second):
            done.set()

    threading.Thread(target=take, daemon=True).start()
    assert done.wait(5)


def test_a_ticket_outside_the_queue_waits_behind_it() -> None:
    slots = OrderedSlots(2)
    queued = slots.queue(1)
    got = _take_all(slots, [None, *queued], arrival=[0, 1])
    assert got == [queued[0], None]
    with slots.take(None):  # with nothing queued, it just runs
        pass


def test_close_wakes_every_waiter_with_an_error() -> None:
    slots = OrderedSlots(1)
    _first, second = slots.queue(2)
    errors: list[BaseException] = []

    def take() -> None:
        try:
            with slots.take(second):  # waits for ``first``, which never comes
                pass
        except BuildError as exc:
            errors.append(exc)

    th = threading.Thread(target=take)
    th.start()
    time.sleep(0.1)
    assert th.is_alive()
    slots.close()
    th.join(5)
    assert not th.is_alive() and errors and "stopped" in str(errors[0])


def test_slots_record_how_long_each_ticket_held_its_slot() -> None:
    slots = OrderedSlots(1)
    [t] = slots.queue(1)
    with slots.take(t):
        time.sleep(0.05)
    assert slots.held[t] >= 0.05


def _section(slug: str, cells: int) -> Section:
    return Section(Path(f"{slug}.ipynb"), slug, code_cells=cells)


SHOWN = [_section("10-a", 10), _section("20-b", 8), _section("30-c", 8), _section("40-d", 9)]


def test_without_a_record_sections_are_expected_to_take_as_long_as_their_cells() -> None:
    assert _expected(SHOWN, {}) == {"10-a": 10.0, "20-b": 8.0, "30-c": 8.0, "40-d": 9.0}


def test_recorded_running_times_order_the_sections() -> None:
    record = {"sections": {"10-a": {"ran": 1.9}, "20-b": {"ran": 1.2}, "30-c": {"ran": 1.0},
                           "40-d": {"ran": 2.7}}}
    expected = _expected(SHOWN, record)
    assert expected == {"10-a": 1.9, "20-b": 1.2, "30-c": 1.0, "40-d": 2.7}
    plan = _Plan(("f", 2019), None, {}, SHOWN, expected=expected)  # type: ignore[arg-type]
    assert [s.slug for s in plan.in_order()] == ["40-d", "10-a", "20-b", "30-c"]
    plan.reuse["30-c"] = {}  # reused: no notebook to wait for, handled first
    assert [s.slug for s in plan.in_order()] == ["30-c", "40-d", "10-a", "20-b"]


@pytest.mark.parametrize("broken", [{"10-a": {"seconds": 3}}, {"10-a": {"ran": "1"}}, {"10-a": {"ran": True}}])
def test_a_record_missing_a_running_time_falls_back_to_cells(broken: dict) -> None:
    record = {"sections": {"20-b": {"ran": 1.2}, "30-c": {"ran": 1.0}, "40-d": {"ran": 2.7}, **broken}}
    assert _expected(SHOWN, record) == _expected(SHOWN, {})
