"""The scan pipeline's concurrency helpers on their own: `Once`, `Lane`, `read_ahead`.

Real threads and a real `ThreadPoolExecutor`; ordering is forced with events, never with
sleeps or wall-clock asserts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor

import pytest

from bot.errors import InputError, UpstreamError
from bot.service.pipeline import Lane, Once, read_ahead

WAIT_S = 10


class Counting:
    """A fetch that counts its calls per key and can be held until released."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: dict[str, int] = {}
        self.fail = fail or set()
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()

    def __call__(self, key: str) -> str:
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1
        assert self.release.wait(WAIT_S)
        if key in self.fail:
            raise UpstreamError(f"{key} is down", source="kubernetes")
        return key.upper()


class TestOnce:
    def test_concurrent_askers_share_one_fetch(self) -> None:
        fetch = Counting()
        fetch.release.clear()
        once: Once[str, str] = Once(fetch)
        with ThreadPoolExecutor(4) as pool:
            answers = [pool.submit(once.get, "crd", f"app{i}") for i in range(4)]
            fetch.release.set()
            assert [a.result(WAIT_S) for a in answers] == ["CRD"] * 4
        assert fetch.calls == {"crd": 1}

    def test_a_prefetch_is_what_a_later_get_receives(self) -> None:
        fetch = Counting()
        once: Once[str, str] = Once(fetch)
        with ThreadPoolExecutor(2) as pool:
            once.prefetch("pods", pool)
            once.prefetch("pods", pool)
        assert once.get("pods", "app") == "PODS"
        assert fetch.calls == {"pods": 1}

    def test_a_get_takes_over_a_prefetch_still_queued(self) -> None:
        """A worker never waits for a task queued behind it: the get fetches itself."""
        fetch = Counting()
        once: Once[str, str] = Once(fetch)
        blocker = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            pool.submit(blocker.wait, WAIT_S)  # the only worker is busy
            once.prefetch("crd", pool)
            assert once.get("crd", "app") == "CRD"
            blocker.set()
        assert fetch.calls == {"crd": 1}

    def test_a_failure_answers_none_and_names_every_app_that_needed_it(self) -> None:
        fetch = Counting(fail={"crd"})
        once: Once[str, str] = Once(fetch)
        assert once.get("crd", "b-app") is None
        assert once.get("crd", "a-app") is None
        error = once.failure("crd")
        assert isinstance(error, UpstreamError)
        assert once.failures() == [(["a-app", "b-app"], error)]
        assert fetch.calls == {"crd": 1}

    def test_a_failed_prefetch_nobody_needed_reports_nothing(self) -> None:
        once: Once[str, str] = Once(Counting(fail={"crd"}))
        with ThreadPoolExecutor(1) as pool:
            once.prefetch("crd", pool)
        assert once.failures() == []
        assert once.failure("never-asked") is None

    def test_errors_other_than_upstream_and_input_propagate(self) -> None:
        def broken(key: str) -> str:
            raise KeyError(key)

        once: Once[str, str] = Once(broken)
        with pytest.raises(KeyError):
            once.get("x", "app")

    def test_input_errors_are_failures_too(self) -> None:
        def malformed(key: str) -> str:
            raise InputError(f"{key} is malformed")

        once: Once[str, str] = Once(malformed)
        assert once.get("x", "app") is None
        assert isinstance(once.failure("x"), InputError)


class TestLane:
    def test_at_most_window_jobs_run_at_once_and_all_finish(self) -> None:
        running, peak = 0, 0
        lock = threading.Lock()
        gate = threading.Event()

        def job(i: int) -> int:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            gate.wait(WAIT_S)
            with lock:
                running -= 1
            return i

        with ThreadPoolExecutor(6) as pool:
            lane = Lane(pool, window=2)
            futures = [lane.submit(lambda i=i: job(i)) for i in range(8)]
            gate.set()
            assert [f.result(WAIT_S) for f in futures] == list(range(8))
        assert peak <= 2

    def test_work_submitted_to_the_pool_directly_is_not_queued_behind_the_lane(self) -> None:
        gate = threading.Event()
        with ThreadPoolExecutor(2) as pool:
            lane = Lane(pool, window=1)
            held = [lane.submit(lambda: gate.wait(WAIT_S)) for _ in range(5)]
            direct = pool.submit(lambda: "next in line")
            assert direct.result(WAIT_S) == "next in line"  # a worker was still free
            gate.set()
            assert all(f.result(WAIT_S) for f in held)

    def test_a_failing_job_fails_its_future(self) -> None:
        def boom() -> None:
            raise UpstreamError("argocd is down", source="argocd")

        with ThreadPoolExecutor(1) as pool:
            future = Lane(pool, window=1).submit(boom)
            with pytest.raises(UpstreamError):
                future.result(WAIT_S)

    def test_close_cancels_the_jobs_still_waiting(self) -> None:
        gate = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            lane = Lane(pool, window=1)
            first = lane.submit(lambda: gate.wait(WAIT_S))
            waiting = lane.submit(lambda: "never")
            lane.close()
            gate.set()
            assert first.result(WAIT_S) is True
            assert waiting.cancelled()
            with pytest.raises(CancelledError):
                waiting.result(WAIT_S)


class TestReadAhead:
    def test_yields_every_item_in_order(self) -> None:
        assert list(read_ahead(iter(range(10)), 3)) == list(range(10))
        assert list(read_ahead(iter([]), 3)) == []

    def test_reads_one_chunk_ahead_of_the_caller_and_no_more(self) -> None:
        pulled: list[int] = []
        second_chunk_in = threading.Event()

        def source() -> Iterator[int]:
            for i in range(20):
                pulled.append(i)
                if i == 7:
                    second_chunk_in.set()
                yield i

        reader = read_ahead(source(), 4)
        assert next(reader) == 0
        # While the caller holds item 0, the helper pulls the next chunk (items 4..7) ...
        assert second_chunk_in.wait(WAIT_S)
        # ... and no further: the third chunk is asked for once the caller is done with the first.
        assert pulled == list(range(8))
        assert list(reader) == list(range(1, 20))

    def test_a_failing_source_fails_the_reader_and_leaves_no_thread(self) -> None:
        def source() -> Iterator[int]:
            yield 1
            raise UpstreamError("list failed", source="kubernetes")

        before = {t.name for t in threading.enumerate()}
        with pytest.raises(UpstreamError):
            list(read_ahead(source(), 1))
        after = {t.name for t in threading.enumerate() if t.name.startswith("drift-list")}
        assert after <= before
