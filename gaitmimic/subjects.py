"""Subject discovery: every folder of ``data_dir`` holding C3D/TRC files is a subject.

A subject's trials are the stems of those files. The static (calibration) trial is named in
``subject.yaml`` or found by a case-insensitive name pattern; every other trial is dynamic.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitmimic.config import load_subject_yaml
from gaitmimic.errors import InputError

TRIAL_SUFFIXES = (".c3d", ".trc")
#: Stems of per-subject results that sit beside the trials' own (reference/mean_cycle.npz).
RESERVED_TRIAL_NAMES = ("mean_cycle",)
#: Names a wildcard may take: no '/', nothing a shell or Snakemake would misread.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"


@dataclass
class Subject:
    name: str
    folder: Path
    trials: dict[str, Path]                 # trial stem -> raw file
    static_trial: str | None
    dynamic_trials: list[str]
    info: dict[str, Any] = field(default_factory=dict)  # validated subject.yaml


@dataclass(frozen=True)
class SkippedSubject:
    """A folder of ``data_dir`` left out at discovery, with why (one line: the file, the problem, the fix)."""

    name: str
    folder: Path
    reason: str


#: A trial's ground reaction forces as OpenSim's tutorial ships them: ``<trial>_grf.mot`` beside the trial.
GRF_SUFFIX = "_grf.mot"


#: A lab's own marker-set table beside its subject's trials (gaitmimic.markers.marker_sets.load_marker_set).
MARKER_TABLE = "marker_set.yaml"


def marker_table(folder: Path) -> Path | None:
    """The subject's own marker-set table (``data/<subject>/marker_set.yaml``), None when absent."""
    path = Path(folder) / MARKER_TABLE
    return path if path.is_file() else None


def grf_file(raw: Path) -> Path | None:
    """The OpenSim GRF ``.mot`` beside a raw trial (``walk1.trc`` -> ``walk1_grf.mot``), None when absent."""
    path = raw.with_name(raw.stem + GRF_SUFFIX)
    return path if path.is_file() else None


def _trial_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in TRIAL_SUFFIXES and not path.name.startswith("."):
            if path.stem in files:
                raise InputError(path, f"two raw files share the trial name '{path.stem}'", "rename or remove one of them")
            if not re.fullmatch(NAME_PATTERN, path.stem):
                raise InputError(path, "the trial name has characters other than letters, digits, '_', '.', '-'", "rename the file")
            if path.stem in RESERVED_TRIAL_NAMES:
                raise InputError(path, f"'{path.stem}' is the name of a result the pipeline writes per subject",
                                 "rename the file")
            files[path.stem] = path
    return files


def _subject(folder: Path, trials: dict[str, Path], pattern: re.Pattern) -> Subject:
    """The subject of one folder, or an :class:`InputError` naming the folder (or its subject.yaml)."""
    if not re.fullmatch(NAME_PATTERN, folder.name):
        raise InputError(folder, "the subject name (the folder's name) has characters other than ASCII letters, "
                                 "digits, '_', '.', '-'", "rename the folder, e.g. to "
                         f"'{re.sub(r'[^A-Za-z0-9_.-]+', '_', folder.name).strip('_.-') or 'subject01'}'")
    info = load_subject_yaml(folder / "subject.yaml")
    skip = set(info["skip_trials"])
    unknown = skip - set(trials)
    if unknown:
        raise InputError(folder / "subject.yaml", f"skip_trials names trials that do not exist: {sorted(unknown)}",
                         f"use names among {sorted(trials)}")
    trials = {k: v for k, v in trials.items() if k not in skip}
    static = info["static_trial"]
    if static is not None and static not in trials:
        raise InputError(folder / "subject.yaml", f"static_trial '{static}' is not a raw file of this subject",
                         f"use one of {sorted(trials)}")
    if static is None:
        matches = [t for t in trials if pattern.search(t)]
        if len(matches) > 1:
            raise InputError(folder, f"several trials look static: {matches}",
                             "name the static trial in subject.yaml (`static_trial: NAME`)")
        static = matches[0] if matches else None
    dynamic = [t for t in trials if t != static]
    if not dynamic:
        raise InputError(folder, f"subject '{folder.name}' has no walking trial (its only trial, '{static}', is the "
                                 "static one), so there is nothing to imitate",
                         "add the subject's walking trials (C3D or TRC) to the folder, or remove the folder")
    if static is None and info["standing_trial"] is None:
        raise InputError(folder, f"subject '{folder.name}' has no static (standing calibration) trial to scale the "
                                 f"model from: no trial name matches the pattern {pattern.pattern!r}",
                         "add the static trial (name it *static*/*calibration*, or set static_trial in subject.yaml), "
                         "or set standing_trial and standing_window_s in subject.yaml to a quiet-standing part of a "
                         "walking trial")
    return Subject(folder.name, folder, trials, static, dynamic, info)


def discover_subjects(data_dir: str | Path, static_pattern: str,
                      skipped: list[SkippedSubject] | None = None) -> list[Subject]:
    """Find every subject under ``data_dir``.

    Discovery never fails for one subject: a folder without raw files, with an unusable name,
    ``subject.yaml`` or trial set is left out, and a :class:`SkippedSubject` saying why is appended to
    ``skipped`` (when given) and issued as a warning. Only a missing ``data_dir`` raises.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "the data folder does not exist", "create it and put one folder per subject in it, or set `data_dir`")
    subjects = []
    pattern = re.compile(static_pattern)
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            trials = _trial_files(folder)
            if not trials:
                raise InputError(folder, "no .c3d or .trc files, so it is not a subject and was skipped",
                                 "put the subject's raw recordings in it, or remove the folder")
            subjects.append(_subject(folder, trials, pattern))
        except InputError as exc:
            if skipped is not None:
                skipped.append(SkippedSubject(folder.name, folder, str(exc)))
            warnings.warn(str(exc), stacklevel=2)
    return subjects
