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


def test_the_benchmark_summary_has_a_line_per_size():
    from kindred.bench.run import matching_summary

    small = run(100, 10, seed=1)
    big = {**small, "people": 10_000, "groups": 1_000, "meets_target": False}
    lines = matching_summary([small, big])
    assert lines[0].startswith("  matching 100 x 10: ")
    assert "greedy" in lines[0]
    assert lines[1].endswith("(target <= 10 s, gap <= 1 %)  NO")
