"""Configuration and subject discovery."""

from __future__ import annotations

import copy
import warnings

import pytest
import yaml

from gaitmimic.config import load_subject_yaml, validate_config
from gaitmimic.errors import InputError
from gaitmimic.subjects import discover_subjects


def _default_config(repo_root):
    with open(repo_root / "config.yaml") as f:
        return yaml.safe_load(f)


def test_shipped_config_is_valid(repo_root):
    validate_config(_default_config(repo_root))


def test_unknown_key_is_named(repo_root):
    config = _default_config(repo_root)
    config["subjects"]["statik_pattern"] = "x"
    with pytest.raises(InputError, match="statik_pattern"):
        validate_config(config)


def test_wrong_type_names_the_key_path(repo_root):
    config = _default_config(repo_root)
    config["subjects"]["include"] = "demo01"
    with pytest.raises(InputError, match=r"key 'subjects.include'"):
        validate_config(config)


def test_schema_defaults_fill_missing_sections(repo_root):
    config = validate_config({})
    shipped = validate_config(_default_config(repo_root))
    assert config["data_dir"] == "data" and config["results_dir"] == "results"
    assert set(config) == set(shipped), "every section has schema defaults, so an empty config is complete"


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_discovery_finds_static_by_pattern_and_skips_empty_folders(tmp_path):
    _touch(tmp_path / "s1" / "S1_Static.c3d")
    _touch(tmp_path / "s1" / "walk01.c3d")
    _touch(tmp_path / "s1" / "walk02.trc")
    _touch(tmp_path / "s1" / "notes.txt")
    (tmp_path / "empty").mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subjects = discover_subjects(tmp_path, "(?i)(static|calibration|standing)")
    assert [s.name for s in subjects] == ["s1"]
    assert subjects[0].static_trial == "S1_Static"
    assert subjects[0].dynamic_trials == ["walk01", "walk02"]
    assert any("empty" in str(w.message) and "no .c3d or .trc" in str(w.message) for w in caught)


def test_subject_yaml_names_static_and_skips_trials(tmp_path):
    _touch(tmp_path / "s1" / "cal_a.c3d")
    _touch(tmp_path / "s1" / "cal_b.c3d")
    _touch(tmp_path / "s1" / "walk.c3d")
    (tmp_path / "s1" / "subject.yaml").write_text("static_trial: cal_b\nskip_trials: [cal_a]\nmass_kg: 70\n")
    (subject,) = discover_subjects(tmp_path, "(?i)cal")
    assert subject.static_trial == "cal_b"
    assert subject.dynamic_trials == ["walk"]
    assert subject.info["mass_kg"] == 70


def test_ambiguous_static_trial_is_an_error(tmp_path):
    _touch(tmp_path / "s1" / "static1.c3d")
    _touch(tmp_path / "s1" / "static2.c3d")
    with pytest.raises(InputError, match="several trials look static"):
        discover_subjects(tmp_path, "(?i)static")


def test_bad_subject_yaml_names_file_and_key(tmp_path):
    path = tmp_path / "subject.yaml"
    path.write_text("mass_kg: -3\nheigth_m: 1.7\n")
    with pytest.raises(InputError) as err:
        load_subject_yaml(path)
    assert str(path) in str(err.value) and "mass_kg" in str(err.value) and "heigth_m" in str(err.value)
