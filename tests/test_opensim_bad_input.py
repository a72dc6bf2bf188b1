"""Bad input to the scale and IK stages: a clear InputError, and no partial .osim/.mot left behind."""

from __future__ import annotations

import re

import pytest

from gaitmimic import settings
from gaitmimic.errors import InputError
from gaitmimic.opensim.stage import run_ik, scale_subject

from _opensim_cases import marker_stage_trc


@pytest.fixture(scope="module")
def pig(shared_data, tmp_path_factory):
    """BELT_C (1.505 m, 47.5 kg) static and 1-frame static, processed by the marker stage."""
    out = tmp_path_factory.mktemp("pig")
    raw = shared_data / "btk-plugingait"
    return (marker_stage_trc(raw / "PiG_Calibration-FlatFoot-Full.c3d", out, True),
            marker_stage_trc(raw / "PiG_Calibration-FlatFoot-One.c3d", out, True))


BUILTIN, SCALE, IK = settings.section("model", {"generic": "builtin"}), settings.section("scale"), settings.section("ik")


def _nothing_written(folder):
    return sorted(p.name for p in folder.iterdir()) == []


def test_a_file_that_is_not_a_model(pig, tmp_path):
    bogus = tmp_path / "in" / "model.osim"
    bogus.parent.mkdir()
    bogus.write_text("<html><body>not a model</body></html>\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="not an OpenSim model") as err:
        scale_subject(pig[0], out / "s.osim", out / "scale_report.json", subject="s", mass_kg=70, height_m=1.7,
                      model=settings.section("model", {"generic": str(bogus)}), scale=SCALE)
    print(f"\n{err.value}")
    assert str(bogus) in str(err.value) and "Fix:" in str(err.value)
    with pytest.raises(InputError, match="not an OpenSim model"):
        run_ik(bogus, pig[0], out / "walk.mot", out / "walk_ik_summary.json", model=BUILTIN, ik=IK)
    assert _nothing_written(out)


def test_a_marker_set_naming_markers_not_in_the_data(shared_data, tmp_path):
    tut = shared_data / "opensim-tutorial5"
    typo = tmp_path / "markers_with_typo.xml"
    typo.write_text((tut / "gait2354_Scale_MarkerSet.xml").read_text().replace('name="R.Heel"', 'name="R.Heal"'))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="names markers that are not in the data: R.Heal") as err:
        scale_subject(tut / "subject01_static.trc", out / "s.osim", out / "scale_report.json", subject="s",
                      mass_kg=72.6, height_m=1.8, scale=SCALE,
                      model=settings.section("model", {"generic": str(tut / "gait2354_simbody.osim"), "marker_set": str(typo)}))
    print(f"\n{err.value}")
    assert _nothing_written(out)


def test_ik_with_a_model_whose_markers_are_not_in_the_trial(shared_data, tmp_path):
    from gaitmimic.opensim.model.builtin import build_model     # Plug-in Gait markers against the tutorial's marker names
    model = build_model(1.8, 72.6, tmp_path / "builtin.osim")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="not in the data") as err:
        run_ik(model, shared_data / "opensim-tutorial5" / "subject01_walk1.trc", out / "walk.mot", out / "walk_ik_summary.json",
               model=BUILTIN, ik=IK)
    print(f"\n{err.value}")
    assert _nothing_written(out)


def test_a_static_trial_of_another_subject(pig, tmp_path):
    """BELT_C's static trial (1.5 m tall) given to a 2.2 m subject: torso and shank factors fall below 0.7."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="implausible segment scale factors") as err:
        scale_subject(pig[0], out / "s.osim", out / "scale_report.json", subject="s", mass_kg=100, height_m=2.2,
                      model=BUILTIN, scale=SCALE)
    print(f"\n{err.value}")
    assert re.search(r"torso 0\.[0-6]\d", str(err.value)) and "another subject" in str(err.value)
    assert _nothing_written(out)


def test_no_static_trial_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no static"):
        scale_subject(None, tmp_path / "s.osim", tmp_path / "r.json", subject="s", mass_kg=70, height_m=1.7,
                      model=BUILTIN, scale=SCALE)
    assert _nothing_written(tmp_path)


def test_a_one_frame_static_trial_is_an_error_unless_a_standing_window_is_named(pig, tmp_path):
    with pytest.raises(InputError, match=r"has only 0.000 s \(1 frame"):
        scale_subject(pig[1], tmp_path / "s.osim", tmp_path / "r.json", subject="s", mass_kg=47.5, height_m=1.505,
                      model=BUILTIN, scale=SCALE)
    assert _nothing_written(tmp_path)
    # subject.yaml's standing_trial + standing_window_s: scale from that window instead
    report = scale_subject(pig[1], tmp_path / "s.osim", tmp_path / "r.json", subject="s", mass_kg=47.5, height_m=1.505,
                           model=BUILTIN, scale=SCALE, standing_trc=pig[0], standing_window_s=(0.1, 0.6))
    print(f"\nscaled from: {report['source']}, femur factor {report['scale_factors']['femur_r'][0]:.3f}")
    assert report["source"].startswith("standing window 0.1-0.6 s")
    assert report["time_range_s"][1] - report["time_range_s"][0] == pytest.approx(0.5, abs=0.011)
    assert (tmp_path / "s.osim").is_file()


def test_a_standing_trial_without_a_window_is_not_taken_for_a_static_trial(pig, tmp_path):
    """No static trial: the workflow passes the named standing trial as both inputs; without a window -> error."""
    with pytest.raises(InputError, match="standing_window_s"):
        scale_subject(pig[0], tmp_path / "s.osim", tmp_path / "r.json", subject="s", mass_kg=47.5, height_m=1.505,
                      model=BUILTIN, scale=SCALE, standing_trc=pig[0], standing_window_s=None)
    assert _nothing_written(tmp_path)


@pytest.mark.parametrize("swap, named", [(("RKNE", "LKNE"), ()), (("RANK", "LANK"), ("RANK", "LANK"))])
def test_a_mislabelled_static_stops_the_subject_naming_the_markers(pig, tmp_path, swap, named):
    """Left and right swapped on BELT_C's static: the scaled model cannot fit its landmarks (0.8 cm RMS when
    labelled right, 6.8 and 10.7 cm swapped), so the stage stops, naming the worst markers (with the knees
    swapped the static pose twists the legs and the feet fit worst), and writes nothing."""
    import dataclasses

    from gaitmimic.io.trc import read_trc, write_trc

    trial = read_trc(pig[0])
    labels = [{swap[0]: swap[1], swap[1]: swap[0]}.get(m, m) for m in trial.labels]
    bad = tmp_path / "static_swapped.trc"
    write_trc(bad, dataclasses.replace(trial, labels=labels))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="does not fit the static pose") as err:
        scale_subject(bad, out / "s.osim", out / "scale_report.json", subject="s", mass_kg=47.5, height_m=1.505,
                      model=BUILTIN, scale=SCALE)
    print(f"\n{err.value}")
    worst = re.search(r"worst: ((?:[LR][A-Z]{3} \d+\.\d cm(?:, )?){3})", str(err.value))
    assert worst and all(m in worst.group(1) for m in named), str(err.value)
    assert "max_static_rms_error_m" in str(err.value) and str(bad) in str(err.value)
    assert _nothing_written(out)
    # the same file passes with the limit relaxed
    report = scale_subject(bad, out / "s.osim", out / "scale_report.json", subject="s", mass_kg=47.5, height_m=1.505,
                           model=BUILTIN, scale=settings.section("scale", {"max_static_rms_error_m": 1.0}))
    assert report["static_fit"]["rms_m"] > SCALE.max_static_rms_error_m
