# Subject discovery, wildcard constraints and every input function. Rule files stay declarative.

import re
import time
from pathlib import Path

from snakemake.logging import logger

from gaitmimic.provenance import code_version as _code_version
from gaitmimic.subjects import discover_subjects, grf_file, marker_table

DATA = config["data_dir"]
RESULTS = config["results_dir"]
LIBRARY = Path(workflow.basedir) / "gaitmimic"


def _select(subjects):
    wanted = set(config["subjects"]["include"])
    unwanted = set(config["subjects"]["exclude"])
    return [s for s in subjects if (not wanted or s.name in wanted) and s.name not in unwanted]


_RUN_STARTED = time.time()  # failure lines in logs written after this are this run's
# Discovery never stops the run for one subject: each one left out is reported (all of them, one line each)
# and listed in summary.csv with the reason.
SKIPPED = []
_SUBJECTS = {s.name: s for s in _select(discover_subjects(DATA, config["subjects"]["static_pattern"], SKIPPED))}
SKIPPED = _select(SKIPPED)
for _skip in SKIPPED:
    logger.warning(f"WARNING: subject left out: {_skip.reason}")
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


def marker_tables(wildcards):
    """The marker-set tables the marker stage reads: the subject's own (data/<subject>/marker_set.yaml) and the
    config's markers.marker_set when it is a table's path (inputs, so an edit to either reruns the stage)."""
    tables = [marker_table(_SUBJECTS[wildcards.subject].folder)]
    configured = str(config["markers"]["marker_set"])
    return [str(p) for p in tables if p] + ([configured] if configured.lower().endswith((".yaml", ".yml")) else [])


def grf_file_or_empty(wildcards):
    """The trial's OpenSim GRF .mot (<trial>_grf.mot beside it) when there is one: its force-plate events."""
    path = grf_file(_SUBJECTS[wildcards.subject].trials[wildcards.trial])
    return str(path) if path else []


def subject_yaml_or_empty(wildcards):
    path = _SUBJECTS[wildcards.subject].folder / "subject.yaml"
    return [str(path)] if path.exists() else []


def is_static(wildcards):
    return wildcards.trial == _SUBJECTS[wildcards.subject].static_trial


def static_markers_trc(wildcards):
    """The processed static trial; a subject without one scales from a standing window (or fails clearly)."""
    info = SUBJECT_INFO[wildcards.subject]
    static = static_trial(wildcards.subject) or info["standing_trial"]
    if static is None:
        return []
    return res(wildcards.subject, "markers", f"{static}.trc")


def static_markers_report(wildcards):
    """The marker stage's report of that trial (its marker-set table's bodies, checked and used by scale)."""
    trc = static_markers_trc(wildcards)
    return trc[: -len(".trc")] + "_markers.json" if trc else []


def subject_events_csvs(wildcards):
    return [res(wildcards.subject, "events", f"{t}.csv") for t in dynamic_trials(wildcards.subject)]


def subject_ik_mots(wildcards):
    return [res(wildcards.subject, "ik", f"{t}.mot") for t in dynamic_trials(wildcards.subject)]


def subject_trial_references(wildcards):
    """Every walking trial's reference npz."""
    return [res(wildcards.subject, "reference", f"{t}.npz") for t in dynamic_trials(wildcards.subject)]


def subject_references(wildcards):
    """What the task imitates (task.reference): every trial's reference, or the subject's mean cycle."""
    if config["task"]["reference"] == "mean_cycle":
        return [res(wildcards.subject, "reference", "mean_cycle.npz")]
    return subject_trial_references(wildcards)


def code_version(script):
    """The code version of a rule: a hash of its workflow script and of every library module the script
    imports, found from the import graph (gaitmimic.provenance), a param of every rule. Snakemake does not
    track imported modules, so editing one reruns exactly the stages that import it (and their
    descendants), while a checkout that only changes file times reruns nothing."""
    return _code_version(Path(workflow.basedir) / "workflow_scripts" / script, LIBRARY)


def c3d_walks(subject):
    """The subject's walking trials recorded as C3D (those the lab's model outputs may come with)."""
    s = _SUBJECTS[subject]
    return [t for t in s.dynamic_trials if Path(s.trials[t]).suffix.lower() == ".c3d"]


def subject_stage_jobs(subject):
    """{stage: [(a job's log, the outputs the stage is judged by that the job writes), ...]} of one subject, in
    pipeline order (the `log:` paths of rules/*.smk; evaluate: its metrics). The run summary pairs each log with
    its own outputs, so a job that was not asked for (ik_vs_lab under `retarget_all`) is not taken for a crash."""
    s = _SUBJECTS[subject]
    log = lambda *parts: res(subject, "logs", *parts)  # noqa: E731
    return {
        "markers": [(log("markers", f"{t}.log"), [res(subject, "markers", f"{t}.trc")]
                     + ([res(subject, "events", f"{t}.csv")] if t in s.dynamic_trials else [])) for t in s.trials],
        "scale": [(log("scale.log"), [res(subject, "model", f"{subject}.osim")])],
        "ik": [(log("ik", f"{t}.log"), [res(subject, "ik", f"{t}.mot")]) for t in s.dynamic_trials]
              + [(log("ik", f"{t}_vs_lab.log"), [res(subject, "ik", f"{t}_vs_lab.json")]) for t in c3d_walks(subject)],
        "retarget": [(log("retarget", "humanoid.log"), [])]
                    + [(log("retarget", f"{t}.log"), [res(subject, "reference", f"{t}.npz")]) for t in s.dynamic_trials]
                    + [(log("retarget", f"{t}_playback.log"), [res(subject, "reference", f"{t}_playback.mp4")])
                       for t in s.dynamic_trials]
                    + [(log("retarget", "mean_cycle.log"), [res(subject, "reference", "mean_cycle.npz")])],
        "train": [(log("train", "train.log"), [res(subject, "policy", "model.zip")])],
        "evaluate": [(log("evaluate", "evaluate.log"), [res(subject, "eval", "metrics.json")]),
                     (log("evaluate", "video.log"), []), (log("evaluate", "plots.log"), [])],
    }


def subject_stage_outputs(subject):
    """{stage: the outputs of that stage} of one subject (those of :func:`subject_stage_jobs`)."""
    return {stage: [f for _, outs in jobs for f in outs] for stage, jobs in subject_stage_jobs(subject).items()}


def stage_targets(stage):
    """Every subject's outputs of one stage, for `snakemake <stage>_all` (e.g. markers_all)."""
    def targets(wildcards):
        return [f for subject in SUBJECTS for f in subject_stage_outputs(subject)[stage]]
    return targets


def all_targets(wildcards):
    """Every stage's artifacts, not only the final ones: a deleted intermediate file (an IK .mot, say)
    is then regenerated, and what depends on it reruns, instead of being silently left missing."""
    targets = [res("summary.csv")]
    for stage in ("markers", "scale", "ik", "retarget", "train"):
        targets += stage_targets(stage)(wildcards)
    for subject in SUBJECTS:
        targets.append(res(subject, "eval", "metrics.json"))
        targets += eval_subject_report_files(subject)
    return targets


# --- markers stage (owner: markers) -------------------------------------------------------------
def markers_subject_info(wildcards):
    """The subject.yaml settings the marker stage uses, as a param (a change reruns the stage; editing
    other keys such as mass_kg does not)."""
    info = SUBJECT_INFO[wildcards.subject]
    return {key: info[key] for key in ("lab_to_model_markers", "treadmill", "belt_speed_mps")}


# --- evaluate (owner eval): input functions of rules/evaluate.smk -------------------------------


def eval_ik_summaries(wildcards):
    return [res(wildcards.subject, "ik", f"{t}_ik_summary.json") for t in dynamic_trials(wildcards.subject)]


def eval_all_metrics(wildcards):
    return [res(s, "eval", "metrics.json") for s in SUBJECTS]


# The rollouts that the video job films (evaluate.video.rollouts; zero_action only when rolled out).
EVAL_FILMS = [r for r in config["evaluate"]["video"]["rollouts"]
              if r == "policy" or config["evaluate"]["zero_action_floor"]]


def subject_walk_trcs(wildcards):
    return [res(wildcards.subject, "markers", f"{t}.trc") for t in dynamic_trials(wildcards.subject)]


def eval_subject_report_files(subject):
    """Every figure and video of one subject that the report shows."""
    files = [res(subject, "eval", f"{subject}_{r}.mp4") for r in EVAL_FILMS]
    files += [res(subject, "eval", "plots", f"{name}.png")
              for name in ("gait_cycle", "learning_curve", "ik_error", "events")]
    files += [res(subject, "ik", f"{t}_vs_lab.png") for t in c3d_walks(subject)]
    return files


def eval_report_files(wildcards):
    """Every subject's figures and videos: targets of `rule all`, so the report has them all."""
    return [f for s in SUBJECTS for f in eval_subject_report_files(s)]


# --- opensim (owner opensim): input functions of rules/scale.smk and rules/ik.smk ---------------
def scale_standing_trc(wildcards):
    """The walking trial that subject.yaml names for a standing window (used when the static trial is unusable)."""
    trial = SUBJECT_INFO[wildcards.subject]["standing_trial"]
    return [] if trial is None else res(wildcards.subject, "markers", f"{trial}.trc")


def opensim_subject_info(wildcards):
    """Only the subject.yaml settings the scale stage reads (other edits do not rerun it)."""
    info = SUBJECT_INFO[wildcards.subject]
    return {k: info[k] for k in ("mass_kg", "height_m", "standing_trial", "standing_window_s")}


def opensim_model_files(wildcards):
    """User model files named in config `model` (a changed file reruns scale and ik)."""
    model = config["model"]
    files = [] if model["generic"] == "builtin" else [model["generic"]]
    if model["marker_set"]:
        files.append(model["marker_set"])
    marker_map = model["model_to_data_markers"]
    if isinstance(marker_map, str) and Path(marker_map).suffix.lower() in (".yaml", ".yml"):
        files.append(marker_map)
    return files


# --- the run's summary and its last words (owner eval) --------------------------------------------
def summary_skipped():
    """The subjects left out at discovery, [(name, reason)]: a param of the summary."""
    return [(s.name, s.reason) for s in SKIPPED]


def _run_statuses():
    """Every subject found, with what became of it in this run (gaitmimic.evaluate.summary.subject_status)."""
    from gaitmimic.evaluate.summary import SubjectStatus, subject_status  # pandas: at the end of a run only

    return [subject_status(s, res(s), subject_stage_jobs(s), _RUN_STARTED) for s in SUBJECTS] + \
        [SubjectStatus(s.name, "skipped", None, s.reason) for s in SKIPPED]


def _write_run_summary():
    """summary.csv (and its HTML and report table) with every subject's status in this run; the statuses."""
    from gaitmimic.evaluate.summary import write_summary

    statuses = _run_statuses()
    try:
        write_summary(statuses, res("summary.csv"), res("summary.html"), res("summary.rst"))
    except Exception as exc:  # the failures printed next matter more than a summary that could not be written
        logger.error(f"summary.csv not written: {exc}")
    return statuses


def _last_words(statuses, failed):
    """The run's last lines: every failed job's one-line message (and each subject that failed without one),
    then every subject left out."""
    silent = [f"  {st.subject}: {st.message}" for st in statuses
              if st.status == "failed" and not any(f"subject={st.subject}," in line or f"subject={st.subject})" in line
                                                   for line in failed)]
    lines = [f"{len(failed) + len(silent)} job(s) failed:", *(f"  {line}" for line in failed), *silent] \
        if failed or silent else []
    if SKIPPED:
        lines += [f"{len(SKIPPED)} subject(s) left out when the subjects were found:",
                  *(f"  {s.reason}" for s in SKIPPED)]
    if lines:
        logger.error("\n".join(["", f"gaitmimic: what went wrong (also in {res('summary.csv')})", *lines]))


# Both hooks write summary.csv with every subject's status (a rerun that only redoes, say, a video job updates
# it too); after a failure the `summary` rule could not run, its inputs include the failed subject's metrics.
onsuccess:
    _last_words(_write_run_summary(), [])


onerror:
    from gaitmimic.jobs import failure_lines

    _last_words(_write_run_summary(), failure_lines(RESULTS, _RUN_STARTED))
