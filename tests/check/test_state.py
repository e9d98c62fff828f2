"""The per-URL state machine over simulated runs and days, and title drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curator.check.state import StateRecord, title_drifted, title_similarity, transition
from curator.check.types import LinkState, Outcome

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
OK, GONE, BLOCKED, TIMEOUT, TRANSIENT = (
    Outcome.OK,
    Outcome.GONE,
    Outcome.BLOCKED,
    Outcome.TIMEOUT,
    Outcome.TRANSIENT,
)


def simulate(
    steps: list[tuple[float, Outcome]], runs: int = 2, days: float = 2.0
) -> list[StateRecord]:
    """Feed (day offset, outcome) checks through the machine; return every record."""
    rec: StateRecord | None = None
    out = []
    for day, outcome in steps:
        rec = transition(rec, outcome, T0 + timedelta(days=day), runs, days)
        out.append(rec)
    return out


def states(records: list[StateRecord]) -> list[LinkState]:
    return [r.state for r in records]


def test_gone_becomes_broken_only_after_enough_runs_and_days() -> None:
    recs = simulate([(0, OK), (1, GONE), (1.5, GONE), (2.5, GONE), (3, GONE)])
    # day 1.5: two gone runs but only half a day apart; day 2.5: 1.5 days; day 3: 2 days.
    assert states(recs) == [
        LinkState.OK,
        LinkState.SUSPECT,
        LinkState.SUSPECT,
        LinkState.SUSPECT,
        LinkState.BROKEN,
    ]
    broken = recs[-1]
    assert broken.first_failure_at == T0 + timedelta(days=1)
    assert broken.consecutive_failures == 4
    assert broken.last_ok_at == T0
    assert broken.last_checked_at == T0 + timedelta(days=3)


def test_enough_days_but_too_few_runs_is_not_broken() -> None:
    recs = simulate([(0, GONE), (10, GONE)], runs=3, days=2)
    assert states(recs) == [LinkState.SUSPECT, LinkState.SUSPECT]
    assert states(simulate([(0, GONE), (10, GONE), (11, GONE)], runs=3))[-1] is LinkState.BROKEN


def test_confirm_thresholds_are_parameters() -> None:
    assert simulate([(0, GONE)], runs=1, days=0)[-1].state is LinkState.BROKEN
    assert simulate([(0, GONE), (0.01, GONE)], runs=2, days=0)[-1].state is LinkState.BROKEN


@pytest.mark.parametrize("soft", [BLOCKED, TIMEOUT, TRANSIENT, Outcome.INVALID])
def test_soft_failures_never_make_a_link_broken(soft: Outcome) -> None:
    recs = simulate([(d, soft) for d in range(0, 30, 3)])
    assert set(states(recs)) == {LinkState.SUSPECT}
    assert recs[-1].consecutive_failures == 0
    assert recs[-1].first_failure_at == T0
    assert recs[-1].last_outcome is soft


def test_soft_failures_do_not_count_towards_the_gone_clock() -> None:
    # Timeouts for a week, then the first 404: the confirm_days clock starts at the 404.
    recs = simulate([(0, TIMEOUT), (7, GONE), (8, GONE), (9, GONE)])
    assert states(recs) == [LinkState.SUSPECT] * 3 + [LinkState.BROKEN]
    assert recs[-1].first_failure_at == T0 + timedelta(days=7)


def test_a_timeout_between_gones_neither_confirms_nor_resets() -> None:
    recs = simulate([(0, GONE), (1, TIMEOUT), (2, GONE)])
    assert states(recs) == [LinkState.SUSPECT, LinkState.SUSPECT, LinkState.BROKEN]
    # Once broken, a blocked or timed-out check keeps it broken (it is not passing).
    assert transition(recs[-1], BLOCKED, T0 + timedelta(days=3), 2, 2).state is LinkState.BROKEN


def test_recovered_after_broken_then_ok() -> None:
    recs = simulate([(0, GONE), (1, GONE), (2, GONE), (3, OK), (4, OK)])
    assert states(recs)[2:] == [LinkState.BROKEN, LinkState.RECOVERED, LinkState.OK]
    assert recs[3].first_failure_at is None
    assert recs[3].consecutive_failures == 0
    assert recs[3].last_ok_at == T0 + timedelta(days=3)


def test_one_failure_then_pass_is_recovered_not_flaky() -> None:
    recs = simulate([(0, OK), (1, TIMEOUT), (2, OK), (3, OK)])
    assert states(recs) == [LinkState.OK, LinkState.SUSPECT, LinkState.RECOVERED, LinkState.OK]


def test_alternating_is_flaky_and_settles_after_clean_checks() -> None:
    recs = simulate(
        [(0, OK), (1, GONE), (2, OK), (3, GONE), (4, OK), (5, OK), (6, OK), (7, OK), (8, OK)]
    )
    assert states(recs) == [
        LinkState.OK,
        LinkState.SUSPECT,
        LinkState.RECOVERED,
        LinkState.FLAKY,  # failed, came back, failed again
        LinkState.FLAKY,
        LinkState.FLAKY,
        LinkState.RECOVERED,
        LinkState.OK,
        LinkState.OK,
    ]
    assert recs[4].flips == 4


def test_flaky_gone_that_stays_gone_becomes_broken() -> None:
    recs = simulate([(0, OK), (1, GONE), (2, OK), (3, GONE), (4, GONE), (5, GONE)])
    assert states(recs)[3:] == [LinkState.FLAKY, LinkState.FLAKY, LinkState.BROKEN]


def test_neutral_outcomes_leave_the_record_alone() -> None:
    rec = simulate([(0, OK), (1, GONE)])[-1]
    for neutral in (Outcome.SKIPPED, Outcome.EXCLUDED, Outcome.LOCAL):
        assert transition(rec, neutral, T0 + timedelta(days=5), 2, 2) == rec
    assert transition(None, Outcome.SKIPPED, T0, 2, 2).state is LinkState.UNCHECKED


def test_redirected_counts_as_passing_and_status_is_kept() -> None:
    rec = transition(None, Outcome.REDIRECTED, T0, 2, 2, status=301)
    assert rec.state is LinkState.OK
    assert rec.last_status == 301
    assert rec.last_ok_at == T0


def test_title_drift() -> None:
    assert not title_drifted("PyTorch", "PyTorch documentation — PyTorch 2.3")
    assert not title_drifted("GitHub - pytorch/pytorch", "GitHub - pytorch/pytorch: Tensors")
    assert title_drifted("Deep Learning Book", "Welcome to nginx!")
    assert title_drifted("The Annotated Transformer", "example.com is for sale")
    assert title_drifted("Keras: Deep Learning for humans", "Page not found · GitHub")
    # Empty titles never count as drift (nothing to compare).
    assert not title_drifted("Keras", "")
    assert not title_drifted(None, "Keras")


def test_title_drift_cjk_uses_character_bigrams() -> None:
    old = "深度学习系统-机器学习基础"
    assert title_similarity(old, "深度学习系统-机器学习基础 | 知乎") > 0.5
    assert not title_drifted(old, "深度学习系统：机器学习基础（第二版）")
    assert title_drifted(old, "域名出售 - 高价值域名")
    assert title_drifted(old, "欢迎光临本网站")
