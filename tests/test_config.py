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


def _discover(data_dir, pattern="(?i)static"):
    skipped = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subjects = discover_subjects(data_dir, pattern, skipped)
    assert [str(w.message) for w in caught] == [s.reason for s in skipped], "each left-out subject is also a warning"
    return [s.name for s in subjects], {s.name: s.reason for s in skipped}


def test_a_bad_subject_is_left_out_with_its_reason_and_the_others_found(tmp_path):
    """Discovery never raises for one subject: every unusable folder is reported in one pass."""
    for name in ("good", "bad name", "sujet_\u00e9", "ambiguous", "broken_yaml", "python_tag", "static_only",
                 "no_static"):
        if name not in ("static_only",):
            _touch(tmp_path / name / "walk01.c3d")
        if name != "no_static":
            _touch(tmp_path / name / "static01.c3d")
    _touch(tmp_path / "ambiguous" / "static02.c3d")
    (tmp_path / "broken_yaml" / "subject.yaml").write_text("mass_kg: [70\n")
    marker = tmp_path / "executed"
    (tmp_path / "python_tag" / "subject.yaml").write_text(
        f"mass_kg: !!python/object/apply:os.system ['touch {marker}']\n")
    found, skipped = _discover(tmp_path)
    assert found == ["good"]
    assert set(skipped) == {"bad name", "sujet_\u00e9", "ambiguous", "broken_yaml", "python_tag", "static_only", "no_static"}
    assert "characters other than ASCII letters" in skipped["bad name"] and "Fix: rename the folder" in skipped["bad name"]
    assert "'bad_name'" in skipped["bad name"]
    assert "several trials look static" in skipped["ambiguous"]
    assert "not valid YAML (line 2, column 1)" in skipped["broken_yaml"] and "Fix: fix the YAML syntax" in skipped["broken_yaml"]
    tag = skipped["python_tag"]
    assert "python/object/apply:os.system" in tag and "refused" in tag and "fix the YAML syntax" not in tag
    assert not marker.exists(), "the Python tag executed nothing"
    assert "has no walking trial" in skipped["static_only"] and str(tmp_path / "static_only") in skipped["static_only"]
    assert "no static (standing calibration) trial" in skipped["no_static"]
    assert str(tmp_path / "no_static") in skipped["no_static"] and "'no_static'" in skipped["no_static"]


def test_bad_subject_yaml_names_file_and_key(tmp_path):
    path = tmp_path / "subject.yaml"
    path.write_text("mass_kg: -3\nheigth_m: 1.7\n")
    with pytest.raises(InputError) as err:
        load_subject_yaml(path)
    assert str(path) in str(err.value) and "mass_kg" in str(err.value) and "heigth_m" in str(err.value)


def test_config_yaml_holds_exactly_the_schema_defaults(repo_root):
    """The schema is the one source of every default: the shipped config.yaml documents them and
    changes none (a value edited in one place only fails here)."""
    assert _default_config(repo_root) == validate_config({})


def test_settings_are_frozen_and_filled_from_the_schema():
    import dataclasses
    import pickle

    from gaitmimic import settings

    markers = settings.section("markers", {"filter": {"cutoff_hz": 8.0}})
    assert markers.filter.cutoff_hz == 8.0 and markers.filter.order == 4 and markers.max_gap_s == 0.2
    with pytest.raises(dataclasses.FrozenInstanceError):
        markers.filter.cutoff_hz = 5.0
    task = settings.section("task")
    with pytest.raises(TypeError):
        task.mimic.residual_rad["default"] = 1.0
    assert pickle.loads(pickle.dumps(task)) == task
    given = settings.section("task", {"mimic": {"balance": {"foot_cv": 0.7}}})
    changed = settings.replace(given, {"mimic": {"residual_rad": {"default": 0.1}, "balance": {"foot_cd": 0.5}}})
    assert dict(changed.mimic.residual_rad) == {"default": 0.1}, "a user-keyed table is replaced whole"
    assert changed.mimic.balance.foot_cd == 0.5 and changed.mimic.balance.foot_cv == 0.7, "records merge key by key"
    with pytest.raises(InputError, match=r"markers.filter.cutoff_hz"):
        settings.section("markers", {"filter": {"cutoff_hz": -1.0}})


def test_old_marker_map_names_still_work_with_a_deprecation_message(repo_root, tmp_path):
    config = _default_config(repo_root)
    config["model"]["marker_map"] = "plugin_gait_to_opensim_example"
    with pytest.warns(FutureWarning, match="model_to_data_markers"):
        validate_config(config)
    assert config["model"]["model_to_data_markers"] == "plugin_gait_to_opensim_example"
    assert "marker_map" not in config["model"]
    path = tmp_path / "subject.yaml"
    path.write_text("marker_map: {LeftHeel: LHEE}\n")
    with pytest.warns(FutureWarning, match="lab_to_model_markers"):
        info = load_subject_yaml(path)
    assert info["lab_to_model_markers"] == {"LeftHeel": "LHEE"} and "marker_map" not in info
    path.write_text("marker_map: {LeftHeel: LHEE}\nlab_to_model_markers: {LeftHeel: LHEE}\n")
    with pytest.raises(InputError, match="both"):
        load_subject_yaml(path)


def test_a_wheel_install_validates_a_config(repo_root, tmp_path):
    """`pip install .` (not editable) ships the schemas inside the package: a config validates there."""
    import subprocess
    import sys

    import shutil

    src, wheels, site = tmp_path / "src", tmp_path / "wheels", tmp_path / "site"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):  # a copy, so the build leaves nothing in the checkout
        shutil.copy2(repo_root / name, src / name)
    shutil.copytree(repo_root / "gaitmimic", src / "gaitmimic", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("gaitmimic-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True,
                   capture_output=True, cwd=tmp_path)
    code = ("import gaitmimic, gaitmimic.config as c, gaitmimic.settings as s; print(gaitmimic.__file__); "
            "cfg = c.validate_config({'markers': {'filter': {'cutoff_hz': 7.0}}}); "
            "print(cfg['markers']['filter']['order'], s.section('task').mimic.balance.foot_cd)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    where, values = out.stdout.strip().splitlines()
    assert where.startswith(str(site)), f"imported {where}, not the wheel's copy"
    assert values == "4 1.0"


def test_records_inside_user_tables_are_frozen_with_their_defaults():
    from gaitmimic import settings

    scale = settings.section("scale", {"measurements": {"thigh": {"pairs": [["LASI", "LKNE"]], "bodies": ["femur_l"]}},
                                       "coordinate_tasks": {"knee_angle_r": {"weight": 10.0}}})
    assert scale.measurements["thigh"]["axes"] == "X Y Z", "the entry's own schema default"
    assert scale.measurements["thigh"]["pairs"] == (("LASI", "LKNE"),)
    assert scale.coordinate_tasks["knee_angle_r"] == {"weight": 10.0, "value_deg": None}
    assert settings.as_dict(scale)["measurements"]["thigh"]["pairs"] == [["LASI", "LKNE"]]


@pytest.mark.parametrize("key", ["vec_env", "envs_per_worker"])
def test_removed_training_keys_say_what_replaces_them(repo_root, key):
    config = _default_config(repo_root)
    config["train"][key] = 8
    with pytest.raises(InputError, match=rf"train.{key}` was removed in 0.3.*Fix:.*(n_envs|worker processes)"):
        validate_config(config)


def test_command_line_text_is_read_as_the_schema_type():
    """Snakemake hands nested --config values over as text: `--config 'train={"total_steps": 300000}'`."""
    config = validate_config({"train": {"total_steps": "300000", "learning_rate": "3e-4", "torch_threads": "null"},
                              "evaluate": {"random_phases": "9", "zero_action_floor": "False"}})
    assert config["train"]["total_steps"] == 300000 and isinstance(config["train"]["total_steps"], int)
    assert config["train"]["learning_rate"] == pytest.approx(3e-4) and config["train"]["torch_threads"] is None
    assert config["evaluate"]["random_phases"] == 9 and config["evaluate"]["zero_action_floor"] is False
    with pytest.raises(InputError, match=r"key 'train.total_steps': '3e5x' is not of type 'integer'"):
        validate_config({"train": {"total_steps": "3e5x"}})
    with pytest.raises(InputError, match=r"key 'evaluate.random_phases': '9.5' is not of type 'integer'"):
        validate_config({"evaluate": {"random_phases": "9.5"}})
