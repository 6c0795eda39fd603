"""The benchmark's instance generator and one small run (figures, not timings)."""

from kindred.matching.bench import instance, run
from kindred.matching.types import Modality


def test_the_instance_is_deterministic_and_mixed():
    first = instance(300, 30, seed=7)
    assert first == instance(300, 30, seed=7)
    assert first != instance(300, 30, seed=8)
    assert {p.state for p in first.people} == {"IL", "KS", "FL"}
    assert {g.modality for g in first.groups} == {
        Modality.VIRTUAL, Modality.IN_PERSON, Modality.HYBRID
    }  # fmt: skip
    excluded = sum(bool(p.excluded_client_ids) for p in first.people)
    assert excluded <= 15


def test_a_small_run_reports_both_solvers():
    result = run(200, 20, seed=3)
    assert result["people"] == 200
    for name in ("milp", "greedy"):
        assert {"seconds", "objective", "bound", "gap", "placements", "mean_concern_overlap"} <= (
            set(result[name])
        )
    assert result["milp"]["placements"] >= result["greedy"]["placements"]
    assert result["milp"]["objective"] >= result["greedy"]["objective"]
    assert result["peak_rss_mb"] > 0
