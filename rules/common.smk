# Subject discovery, wildcard constraints and every input function. Rule files stay declarative.

import hashlib
import re
from pathlib import Path

from gaitmimic.subjects import discover_subjects

DATA = config["data_dir"]
RESULTS = config["results_dir"]
LIBRARY = Path(workflow.basedir) / "gaitmimic"


def _select(subjects):
    include = set(config["subjects"]["include"])
    exclude = set(config["subjects"]["exclude"])
    return [s for s in subjects if (not include or s.name in include) and s.name not in exclude]


_SUBJECTS = {s.name: s for s in _select(discover_subjects(DATA, config["subjects"]["static_pattern"]))}
SUBJECTS = sorted(_SUBJECTS)
SUBJECT_INFO = {name: s.info for name, s in _SUBJECTS.items()}
_ALL_TRIALS = sorted({t for s in _SUBJECTS.values() for t in s.trials})


def _alternatives(names):
    # Exact names only: a wildcard can never swallow a '/' or match a file nobody asked for.
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


wildcard_constraints:
    subject=_alternatives(SUBJECTS),
    trial=_alternatives(_ALL_TRIALS),


def res(*parts):
    """A path under results_dir."""
    return str(Path(RESULTS, *parts))


def static_trial(subject):
    return _SUBJECTS[subject].static_trial


def dynamic_trials(subject):
    return _SUBJECTS[subject].dynamic_trials


def raw_trial_file(wildcards):
    return str(_SUBJECTS[wildcards.subject].trials[wildcards.trial])


def subject_yaml_or_empty(wildcards):
    path = _SUBJECTS[wildcards.subject].folder / "subject.yaml"
    return [str(path)] if path.exists() else []


def is_static(wildcards):
    return wildcards.trial == _SUBJECTS[wildcards.subject].static_trial


def static_markers_trc(wildcards):
    """The processed static trial; a subject without one scales from a standing window (or fails clearly)."""
    info = SUBJECT_INFO[wildcards.subject]
    static = static_trial(wildcards.subject) or info.get("standing_trial")
    if static is None:
        return []
    return res(wildcards.subject, "markers", f"{static}.trc")


def subject_events_csvs(wildcards):
    return [res(wildcards.subject, "events", f"{t}.csv") for t in dynamic_trials(wildcards.subject)]


def subject_ik_mots(wildcards):
    return [res(wildcards.subject, "ik", f"{t}.mot") for t in dynamic_trials(wildcards.subject)]


def subject_references(wildcards):
    return [res(wildcards.subject, "reference", f"{t}.npz") for t in dynamic_trials(wildcards.subject)]


def code_version(*modules):
    """Content hash of library modules (files or packages under gaitmimic/).

    Used as a rule param: Snakemake does not track modules that a script imports, so editing a
    stage's library code changes this hash and reruns that stage and its descendants, while a
    mere checkout that changes file times does not.
    """
    digest = hashlib.sha256()
    for module in modules:
        path = LIBRARY / module
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for f in files:
            digest.update(f.relative_to(LIBRARY).as_posix().encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def all_targets(wildcards):
    targets = [res("summary.csv")]
    for subject in SUBJECTS:
        targets.append(res(subject, "eval", "metrics.json"))
    return targets
