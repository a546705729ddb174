"""The offset tracker never reports a committable offset beyond an unfinished record."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import TopicPartition

TP = TopicPartition("payments", 0)
OTHER = TopicPartition("payments", 1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Offsets with gaps, as compaction and transaction markers leave them.
offsets_with_gaps = st.lists(st.integers(1, 5), min_size=1, max_size=60).map(
    lambda steps: [sum(steps[: i + 1]) for i in range(len(steps))]
)


@given(offsets_with_gaps, st.data())
def test_committable_is_the_lowest_unfinished_offset_in_any_completion_order(
    offsets: list[int], data: st.DataObject
) -> None:
    tracker = OffsetTracker()
    for offset in offsets:
        tracker.track(TP, offset)
    finished = data.draw(st.permutations(offsets)).copy()
    del finished[data.draw(st.integers(0, len(finished))) :]
    for offset in finished:
        tracker.done(TP, offset)
        unfinished = set(offsets) - set(finished[: finished.index(offset) + 1])
        committable = tracker.committable(TP)
        assert committable is not None
        assert committable <= min(unfinished, default=offsets[-1] + 1)
        assert committable == (min(unfinished) if unfinished else offsets[-1] + 1)


@given(offsets_with_gaps, st.randoms())
def test_when_everything_is_done_the_committable_offset_is_the_last_plus_one(
    offsets: list[int], rnd: random.Random
) -> None:
    tracker = OffsetTracker()
    for offset in offsets:
        tracker.track(TP, offset)
    shuffled = offsets.copy()
    rnd.shuffle(shuffled)
    for offset in shuffled:
        tracker.done(TP, offset)
    assert tracker.committable(TP) == offsets[-1] + 1
    assert tracker.outstanding(TP) == 0
    assert tracker.total_outstanding() == 0


class TrackerMachine(RuleBasedStateMachine):
    """Random interleavings of track, done, commit and forget against a plain model."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker = OffsetTracker()
        self.tracked: list[int] = []
        self.unfinished: set[int] = set()
        self.committed: int | None = None

    @rule(gap=st.integers(1, 3))
    def track(self, gap: int) -> None:
        offset = (self.tracked[-1] if self.tracked else -1) + gap
        assert self.tracker.track(TP, offset)
        self.tracked.append(offset)
        self.unfinished.add(offset)

    @precondition(lambda self: bool(self.unfinished))
    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        offset = data.draw(st.sampled_from(sorted(self.unfinished)))
        assert self.tracker.done(TP, offset)
        self.unfinished.discard(offset)

    @precondition(lambda self: bool(self.tracked))
    @rule(data=st.data())
    def finish_again_is_ignored(self, data: st.DataObject) -> None:
        offset = data.draw(st.sampled_from(self.tracked))
        if offset not in self.unfinished:
            assert not self.tracker.done(TP, offset)

    @rule()
    def commit(self) -> None:
        offsets = self.tracker.committable_offsets()
        self.tracker.mark_committed(offsets)
        if TP in offsets:
            self.committed = offsets[TP]

    @rule()
    def forget(self) -> None:
        self.tracker.forget([TP])
        self.tracked, self.unfinished, self.committed = [], set(), None

    def expected_position(self) -> int | None:
        if self.unfinished:
            return min(self.unfinished)
        return self.tracked[-1] + 1 if self.tracked else None

    @invariant()
    def committable_matches_the_model(self) -> None:
        expected = self.expected_position()
        assert self.tracker.position(TP) == expected
        committable = self.tracker.committable(TP)
        assert committable == (None if expected == self.committed else expected)
        if committable is not None and self.unfinished:
            assert committable <= min(self.unfinished)

    @invariant()
    def outstanding_matches_the_model(self) -> None:
        assert self.tracker.outstanding(TP) == len(self.unfinished)
        assert self.tracker.total_outstanding() == len(self.unfinished)


TestTrackerMachine = TrackerMachine.TestCase


def test_nothing_is_committable_before_anything_was_tracked() -> None:
    tracker = OffsetTracker()
    assert tracker.committable(TP) is None
    assert tracker.committable_offsets() == {}
    assert tracker.position(TP) is None


def test_after_a_commit_only_progress_is_committable() -> None:
    tracker = OffsetTracker()
    for offset in (5, 6, 7):
        tracker.track(TP, offset)
    tracker.done(TP, 5)
    tracker.mark_committed(tracker.committable_offsets())
    assert tracker.committable(TP) is None
    tracker.done(TP, 7)
    assert tracker.committable(TP) is None  # 6 still holds the line
    tracker.done(TP, 6)
    assert tracker.committable(TP) == 8


def test_a_refused_commit_is_offered_again() -> None:
    tracker = OffsetTracker()
    tracker.track(TP, 0)
    tracker.done(TP, 0)
    tracker.mark_committed({TP: 1})
    tracker.commit_failed(TP)
    assert tracker.committable(TP) == 1


def test_a_quiet_partition_commits_its_position_again_after_a_while() -> None:
    clock = FakeClock()
    tracker = OffsetTracker(clock, recommit_after=10.0)
    tracker.track(TP, 0)
    tracker.done(TP, 0)
    tracker.mark_committed({TP: 1})
    clock.now += 9.0
    assert tracker.committable(TP) is None
    clock.now += 1.0
    assert tracker.committable(TP) == 1, "a commit lost without a report heals itself"


def test_an_offset_not_past_the_last_tracked_is_ignored() -> None:
    tracker = OffsetTracker()
    assert tracker.track(TP, 3)
    assert not tracker.track(TP, 3)
    assert not tracker.track(TP, 2)
    assert tracker.outstanding(TP) == 1


def test_forgetting_a_partition_drops_its_work_and_ignores_late_completions() -> None:
    tracker = OffsetTracker()
    tracker.track(TP, 0)
    tracker.track(OTHER, 0)
    tracker.forget([TP])
    assert not tracker.done(TP, 0)
    assert tracker.committable(TP) is None
    assert tracker.total_outstanding() == 1
    assert tracker.committable_offsets() == {OTHER: 0}


def test_oldest_unfinished_age_follows_the_oldest_record_still_running() -> None:
    clock = FakeClock()
    tracker = OffsetTracker(clock)
    assert tracker.oldest_unfinished_age() is None
    tracker.track(TP, 0)
    clock.now += 5
    tracker.track(OTHER, 0)
    tracker.track(TP, 1)
    clock.now += 2
    assert tracker.oldest_unfinished_age() == 7
    tracker.done(TP, 0)
    assert tracker.oldest_unfinished_age() == 2
    tracker.done(TP, 1)
    tracker.done(OTHER, 0)
    assert tracker.oldest_unfinished_age() is None
