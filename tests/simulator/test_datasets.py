"""The simulator reads only its committed figures; they are derived from the public datasets.

The derivation tests read the raw CSVs (``$SIMULATOR_DATA_DIR`` or ``../shared/data``). They run
when the files are there and are skipped otherwise (a clone with nothing beside it), unless
``REQUIRE_PUBLIC_DATA=1`` (CI), where missing files are a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from simulator.app import create_app
from simulator.datasets import REQUIRED_FILES, load_levels, parse_number, resolve_data_dir
from simulator.derive import build_document, derive_figures
from simulator.figures import FIGURES_FILE, FiguresError, load_figures

DATA_DIR = resolve_data_dir()
HAVE_DATA = all((DATA_DIR / name).is_file() for name in REQUIRED_FILES)


@pytest.fixture
def data_dir() -> Path:
    if not HAVE_DATA:
        if os.environ.get("REQUIRE_PUBLIC_DATA") == "1":
            pytest.fail(f"REQUIRE_PUBLIC_DATA=1 but the public datasets are not in {DATA_DIR}")
        pytest.skip(f"public datasets not in {DATA_DIR} (set SIMULATOR_DATA_DIR)")
    return DATA_DIR


@pytest.mark.parametrize(
    ("text", "value"),
    [("$231.88", 231.88), (" 1,200 ", 1200.0), ("", None), ("n/a", None), (None, None)],
)
def test_dirty_numbers_are_parsed_or_skipped(text, value):
    assert parse_number(text) == value


def test_committed_figures_carry_their_provenance():
    document = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
    provenance = document["provenance"]

    assert provenance["command"] == "python -m simulator.derive"
    assert {source["file"] for source in provenance["sources"]} == set(REQUIRED_FILES)
    for source in provenance["sources"]:
        assert source["data_rows"] > 0 and len(source["sha256"]) == 64
    assert load_figures().delivery["ab_control"].cpm > 0


def test_a_broken_figures_file_stops_start_up_naming_it(tmp_path):
    broken = tmp_path / "figures.json"
    broken.write_text('{"figures": {}}', encoding="utf-8")
    with pytest.raises(FiguresError, match=str(broken)):
        create_app(broken)


def test_committed_figures_are_what_the_raw_files_give(data_dir):
    document = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
    fresh = build_document(data_dir, "any day")

    assert document["provenance"]["sources"] == fresh["provenance"]["sources"]
    assert document["figures"] == fresh["figures"]


def test_levels_match_the_published_dataset_figures(data_dir):
    levels = load_levels(data_dir)
    control = levels.delivery["ab_control"]
    google = levels.delivery["google_desktop"]
    facebook = levels.delivery["kag_1178"]

    # The data README: control CPA $4.41 over the days with delivery; Google CTR about 3 %.
    cpa = control.cpm / 1000 / (control.ctr_pct / 100 * control.cvr_pct / 100)
    assert cpa == pytest.approx(4.41, abs=0.01)
    assert 1800 < control.daily_spend < 3100
    assert google.ctr_pct == pytest.approx(3.0, abs=0.1)
    assert facebook.ctr_pct == pytest.approx(0.0176, abs=0.0001)
    ages = {s.segment_id: s.relative_cpa for s in levels.segments["kag_1178_age"]}
    assert max(ages, key=ages.get) == "age-45-49" and ages["age-45-49"] / ages["age-30-34"] > 2


def test_extra_dirty_rows_do_not_crash_the_derivation(data_dir, tmp_path):
    for name in REQUIRED_FILES:
        shutil.copy(data_dir / name, tmp_path / name)
    with (tmp_path / "GoogleAds_DataAnalytics_Sales_Uncleaned.csv").open("a") as handle:
        handle.write("A9999,Data Analytics Corse,,abc,$,,,,,31-11-2024,HYDERABAD,MoBiLe,x\r\n")
    with (tmp_path / "KAG_conversion_data.csv").open("a") as handle:
        handle.write("1,1178,1,30-34,M,10,0,0,0,0,0\n2,1178,2,,F,10,,,,,\n")

    figures = derive_figures(tmp_path)

    assert figures["delivery"]["google_mobile"]["ctr_pct"] == pytest.approx(3.08, abs=0.05)
    assert len(figures["segments"]["kag_1178_age"]) == 4
