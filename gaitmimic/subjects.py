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


def _trial_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in TRIAL_SUFFIXES and not path.name.startswith("."):
            if path.stem in files:
                raise InputError(path, f"two raw files share the trial name '{path.stem}'", "rename or remove one of them")
            if not re.fullmatch(NAME_PATTERN, path.stem):
                raise InputError(path, "the trial name has characters other than letters, digits, '_', '.', '-'", "rename the file")
            files[path.stem] = path
    return files


def discover_subjects(data_dir: str | Path, static_pattern: str, skipped: list[str] | None = None) -> list[Subject]:
    """Find every subject under ``data_dir``.

    Folders without raw files are skipped; a message for each is appended to ``skipped`` (when given)
    and issued as a warning.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "the data folder does not exist", "create it and put one folder per subject in it, or set `data_dir`")
    subjects = []
    pattern = re.compile(static_pattern)
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        trials = _trial_files(folder)
        if not trials:
            message = (f"{folder}: no .c3d or .trc files, so it is not a subject and was skipped. "
                       "Fix: put the subject's raw recordings in it, or remove the folder.")
            if skipped is not None:
                skipped.append(message)
            warnings.warn(message, stacklevel=2)
            continue
        if not re.fullmatch(NAME_PATTERN, folder.name):
            raise InputError(folder, "the subject name has characters other than letters, digits, '_', '.', '-'", "rename the folder")
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
        subjects.append(Subject(folder.name, folder, trials, static, dynamic, info))
    return subjects
