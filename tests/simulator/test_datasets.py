"""The campaigns' levels come from the shared datasets, dirty cells included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.app import create_app
from simulator.datasets import (
    DATA_DIR_ENV,
    REQUIRED_FILES,
    DatasetError,
    load_levels,
    parse_number,
    resolve_data_dir,
)

DATA_DIR = resolve_data_dir()


@pytest.mark.parametrize(
    ("text", "value"),
    [("$231.88", 231.88), (" 1,200 ", 1200.0), ("", None), ("n/a", None), (None, None)],
)
def test_dirty_numbers_are_parsed_or_skipped(text, value):
    assert parse_number(text) == value


def test_levels_match_the_published_dataset_figures():
    levels = load_levels(DATA_DIR)
    control = levels.delivery["ab_control"]
    google = levels.delivery["google_desktop"]
    facebook = levels.delivery["kag_1178"]

    # README: control CPA $4.41 over the days with delivery; Google CTR about 3 %.
    cpa = control.cpm / 1000 / (control.ctr_pct / 100 * control.cvr_pct / 100)
    assert cpa == pytest.approx(4.41, abs=0.01)
    assert 1800 < control.daily_spend < 3100
    assert google.ctr_pct == pytest.approx(3.0, abs=0.1)
    assert facebook.ctr_pct == pytest.approx(0.0176, abs=0.0001)
    # Campaign 1178's age groups: the oldest is the least efficient.
    ages = {s.segment_id: s.relative_cpa for s in levels.segments["kag_1178_age"]}
    assert max(ages, key=ages.get) == "age-45-49" and ages["age-45-49"] / ages["age-30-34"] > 2


def test_missing_datasets_fail_naming_the_directory(tmp_path):
    with pytest.raises(DatasetError, match=str(tmp_path)):
        create_app(tmp_path)


def test_data_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=str(tmp_path)):
        create_app()


def test_extra_dirty_rows_do_not_crash_the_loader(tmp_path: Path):
    for name in REQUIRED_FILES:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    with (tmp_path / "GoogleAds_DataAnalytics_Sales_Uncleaned.csv").open("a") as handle:
        handle.write("A9999,Data Analytics Corse,,abc,$,,,,,31-11-2024,HYDERABAD,MoBiLe,x\r\n")
    with (tmp_path / "KAG_conversion_data.csv").open("a") as handle:
        handle.write("1,1178,1,30-34,M,10,0,0,0,0,0\n2,1178,2,,F,10,,,,,\n")

    levels = load_levels(tmp_path)

    assert levels.delivery["google_mobile"].ctr_pct == pytest.approx(3.08, abs=0.05)
    assert len(levels.segments["kag_1178_age"]) == 4
