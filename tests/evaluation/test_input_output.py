"""Input-output measurement (somp.modules.evaluation.input_output, io_tables) against the Miller & Blair
two-sector textbook example and pymrio on its bundled test system."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pymrio
import pytest

from somp.modules.evaluation.input_output import IOInvalid, IOUnbalanced, analyse, make_table, service_inputs
from somp.modules.evaluation.io_tables import read_io_table, table_from_frame

# Miller, R. E. & Blair, P. D. (2009). Input-Output Analysis: Foundations and Extensions, 2nd ed.,
# section 2.3, table 2.3 (a two-sector economy, flows in dollars):
#   sector 1 sells 150 to itself, 500 to sector 2, 350 to final demand: output 1,000
#   sector 2 sells 200 to sector 1, 100 to itself, 1,700 to final demand: output 2,000
#   payments sector (value added) 650 and 1,400.
MB_CSV = """sector,1,2,final demand,总产出
1,150,500,350,1000
2,200,100,1700,2000
增加值,650,1400,,
"""


def test_miller_blair_two_sector_example():
    """Miller & Blair section 2.3: A = [[.15, .25], [.20, .05]], L = (I - A)^-1 = [[1.254, .330], [.264, 1.122]];
    for the new final demand f = (600, 1500) the outputs are x = (1247.52, 1841.58)."""
    table = read_io_table(io.StringIO(MB_CSV), fmt="csv")
    assert table.sectors == ("1", "2") and table.final_demand_labels == ("final demand",)
    assert table.value_added_labels == ("增加值",) and table.imbalances == ()
    assert table.balances_checked == ("inputs", "uses")
    r = analyse(table)
    np.testing.assert_allclose(r.A, [[0.15, 0.25], [0.20, 0.05]], atol=1e-15)
    np.testing.assert_allclose(r.L, [[1.254, 0.330], [0.264, 1.122]], atol=5e-4)
    np.testing.assert_allclose(r.output_for([600, 1500]), [1247.52, 1841.58], atol=5e-3)
    np.testing.assert_allclose(r.B, r.L - np.eye(2))
    # sector 2 as the "service" sector, sector 1 as "manufacturing": a_21 = 0.2, b_21 = 0.264
    (s,) = service_inputs(r, ["2"], ["1"])
    assert s.direct == pytest.approx(0.2) and s.complete == pytest.approx(0.2 / 0.7575, rel=1e-12)
    assert s.direct_domestic is None and "direct_domestic" not in s.to_dict()


def test_unbalanced_table_reports_the_sectors_instead_of_computing():
    table = read_io_table(io.StringIO(MB_CSV.replace("增加值,650,", "增加值,600,")), fmt="csv")
    (gap,) = table.imbalances
    assert (gap.sector, gap.side, gap.output, gap.accounted) == ("1", "inputs", 1000.0, 950.0)
    assert gap.relative_gap == pytest.approx(-0.05)
    with pytest.raises(IOUnbalanced) as e:
        analyse(table)
    assert "1 (inputs -5.00%)" in str(e.value) and e.value.params["imbalances"][0]["sector"] == "1"
    assert analyse(table, allow_unbalanced=True).A[1, 0] == pytest.approx(0.2)
    # a final-demand cell that does not add up to the output column
    rows_off = read_io_table(io.StringIO(MB_CSV.replace("2,200,100,1700", "2,200,100,1690")), fmt="csv")
    assert [(i.sector, i.side) for i in rows_off.imbalances] == [("2", "uses")]


def test_bad_cells_and_codes_are_clear_errors():
    with pytest.raises(IOInvalid, match="not a number"):
        read_io_table(io.StringIO(MB_CSV.replace("150", "n/a")), fmt="csv")
    with pytest.raises(IOInvalid) as e:
        service_inputs(analyse(read_io_table(io.StringIO(MB_CSV), fmt="csv")), ["9"], ["1"])
    assert e.value.code == "unknown_sector"
    with pytest.raises(IOInvalid) as e:
        analyse(make_table([[1, 0], [0, 1]], [0, 0], sectors=["a", "b"]))
    assert e.value.code == "not_productive"


# ---- pymrio's test system: 6 regions x 8 sectors -----------------------------------------------------


@pytest.fixture(scope="module")
def mrio():
    system = pymrio.load_test()
    system.calc_all()
    return system


def our_table(system, **kw):
    return make_table(
        system.Z.to_numpy(),
        system.Y.to_numpy(),
        sectors=list(system.get_sectors()),
        regions=list(system.get_regions()),
        output=system.x.to_numpy().ravel(),
        **kw,
    )


def test_coefficients_equal_pymrio_on_its_test_system(mrio):
    r = analyse(our_table(mrio))
    assert r.table.multi_region and r.table.labels == list(mrio.Z.index)
    np.testing.assert_allclose(r.A, mrio.A.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(r.L, mrio.L.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(r.output_for(mrio.Y.sum(axis=1)), mrio.x.to_numpy().ravel(), rtol=1e-9)


def test_service_inputs_split_domestic_and_imported_as_pymrio_blocks(mrio):
    services, manufacturing = ["trade", "transport", "other"], ["manufactoring", "food"]
    got = {(s.region, s.sector): s for s in service_inputs(analyse(our_table(mrio)), services, manufacturing)}
    assert len(got) == 6 * 2
    A, B = mrio.A, mrio.L - np.eye(48)
    idx = pd.IndexSlice
    for region in mrio.get_regions():
        for sector in manufacturing:
            col = (region, sector)
            s = got[col]
            assert s.direct == pytest.approx(A.loc[idx[:, services], col].sum(), abs=1e-9)
            assert s.complete == pytest.approx(B.loc[idx[:, services], col].sum(), abs=1e-9)
            assert s.direct_domestic == pytest.approx(A.loc[idx[region, services], col].sum(), abs=1e-9)
            assert s.complete_domestic == pytest.approx(B.loc[idx[region, services], col].sum(), abs=1e-9)
            assert s.direct_imported == pytest.approx(s.direct - s.direct_domestic, abs=1e-12)
            assert s.complete_by_service["transport"] == pytest.approx(B.loc[idx[:, "transport"], col].sum(), abs=1e-9)


def test_pymrio_test_system_value_added_does_not_balance_and_is_reported(mrio):
    """The test system's 'Value Added' row is synthetic: inputs + value added fall short of output
    for most sectors (e.g. reg1 manufactoring reaches 1.5 % of its output), so the table is refused."""
    table = our_table(mrio, value_added=mrio.factor_inputs.F.to_numpy(), value_added_labels=["Value Added"])
    gaps = {(i.region, i.sector): i for i in table.imbalances}
    assert all(i.side == "inputs" for i in table.imbalances) and len(gaps) > 30
    assert gaps[("reg1", "manufactoring")].accounted / gaps[("reg1", "manufactoring")].output == pytest.approx(
        0.0148, abs=1e-4)
    with pytest.raises(IOUnbalanced):
        analyse(table)


def test_multi_region_csv_and_excel_round_trip_equal_pymrio(mrio, tmp_path):
    frame = pd.concat([mrio.Z, mrio.Y], axis=1)
    frame[("", "total output")] = mrio.x.to_numpy().ravel()
    path = tmp_path / "mrio.csv"
    frame.to_csv(path)
    table = read_io_table(path, multi_region=True)
    assert table.regions == tuple(mrio.get_regions()) and len(table.final_demand_labels) == 42
    np.testing.assert_allclose(analyse(table).L, mrio.L.to_numpy(), rtol=0, atol=1e-9)
    xlsx = tmp_path / "mrio.xlsx"
    frame.to_excel(xlsx)
    np.testing.assert_allclose(analyse(read_io_table(xlsx, multi_region=True)).A, mrio.A.to_numpy(), atol=1e-9)


def test_single_region_frame_with_blank_cells_and_reordered_columns():
    frame = pd.DataFrame(
        {"final": [350, 1700], "2": [500, 100], "1": [150, 200]}, index=["1", "2"]
    )
    t = table_from_frame(frame)
    assert t.sectors == ("1", "2") and t.Z[0, 1] == 500 and t.value_added is None
    assert t.balances_checked == ()  # no value added, output from the row totals: nothing to check
    np.testing.assert_allclose(t.output, [1000, 2000])
