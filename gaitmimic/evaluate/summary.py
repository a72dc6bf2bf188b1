"""Tables: the per-subject metrics table and ``summary.csv`` (one row per subject)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gaitmimic.errors import InputError
from gaitmimic.atomic import write_text
from gaitmimic.io.reports import read_json, write_table
from gaitmimic.jobs import ERROR_MARK, failure_line

#: Headline metrics, in table order: (key in metrics.json, column label).
HEADLINE = [
    ("tracked_fraction", "tracked_fraction"),
    ("tracked_fraction_phase0", "tracked_fraction_phase0"),
    ("fall_rate", "fall_rate"),
    ("normalized_return", "normalized_return"),
    ("joint_rmse_deg", "joint_rmse_deg"),
    ("hip_flexion_rmse_deg", "hip_flexion_rmse_deg"),
    ("knee_flexion_rmse_deg", "knee_flexion_rmse_deg"),
    ("ankle_dorsiflexion_rmse_deg", "ankle_dorsiflexion_rmse_deg"),
    ("key_body_error_cm", "key_body_error_cm"),
    ("forward_speed_ratio", "forward_speed_ratio"),
    ("stride_length_ratio", "stride_length_ratio"),
    ("cadence_ratio", "cadence_ratio"),
    ("forward_speed_mps", "forward_speed_mps"),
    ("reference_speed_mps", "reference_speed_mps"),
    ("stride_length_m", "stride_length_m"),
    ("reference_stride_length_m", "reference_stride_length_m"),
    ("cadence_spm", "cadence_spm"),
    ("reference_cadence_spm", "reference_cadence_spm"),
]
#: Gait-cycle metrics (by foot-floor contact) and the push trials: absent from metrics computed without the
#: humanoid model or without push trials.
GAIT_CYCLE = ["stance_pct_right", "reference_stance_pct_right", "stance_pct_left", "reference_stance_pct_left",
              "stance_pct_difference", "heel_strike_timing_error_pct", "cycle_rmse_sagittal_deg",
              "push_walked_on_share"]
#: Floor metrics repeated in summary.csv with a ``zero_action_`` prefix.
FLOOR = ["tracked_fraction", "fall_rate", "normalized_return", "joint_rmse_deg", "key_body_error_cm"]


def json_safe(obj):
    """Replace NaN/inf by None recursively (strict JSON), numpy scalars by Python numbers."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def metrics_table(metrics: dict) -> pd.DataFrame:
    """Headline metrics of every policy in ``metrics.json`` (rows) for the per-subject report table."""
    rows = []
    for policy in ("policy", "zero_action"):
        if policy in metrics:
            m = metrics[policy]
            rows.append({"policy": policy, **{label: m[key] for key, label in HEADLINE},
                         **{key: m.get(key) for key in GAIT_CYCLE}})
    return pd.DataFrame(rows)


#: The pipeline's stages, in order; a subject's logs sit in ``logs/<stage>/`` (or ``logs/<stage>.log``).
STAGES = ("markers", "scale", "ik", "retarget", "train", "evaluate")


@dataclass(frozen=True)
class SubjectStatus:
    """One subject's line in ``summary.csv``: ``done``, ``failed`` (at ``stage``, with the job's one-line
    message), ``skipped`` (left out at discovery, with the reason) or ``not finished`` (outputs missing
    without a failure: an interrupted run, or a run of part of the workflow)."""

    subject: str
    status: str
    stage: str | None = None
    message: str = ""
    metrics_json: Path | None = None  # read for the metric columns when it exists


def subject_status(subject: str, subject_dir: str | Path, stage_jobs: dict[str, list[tuple[str, list[str]]]],
                   since: float) -> SubjectStatus:
    """What became of ``subject`` (its results in ``subject_dir``) in the run that started at ``since`` (epoch s).

    ``stage_jobs``: {stage: [(a job's log, the outputs of that job the stage is judged by), ...]} for this
    subject. A job failed in this run when its log, written since ``since``, holds a failure line
    (:func:`gaitmimic.jobs.failure_line`), or when its own outputs are missing although its log was written in
    this run (a crash, a kill: no message). The earliest such stage is where the subject failed; a subject with
    outputs missing and no job of this run behind them is ``not finished``.
    """
    subject_dir = Path(subject_dir)
    metrics = subject_dir / "eval" / "metrics.json"
    found = metrics if metrics.exists() else None
    for stage in STAGES:
        jobs = [(Path(log), [Path(f) for f in outs]) for log, outs in stage_jobs.get(stage, [])]
        ran = [(log, outs) for log, outs in jobs if log.exists() and log.stat().st_mtime >= since]
        lines = [line for line in (failure_line(log) for log, _ in ran) if line]
        if lines:
            return SubjectStatus(subject, "failed", stage, lines[0].removeprefix(ERROR_MARK), found)
        crashed = [log for log, outs in ran if any(not f.exists() for f in outs)]
        if crashed:
            return SubjectStatus(subject, "failed", stage, f"a {stage} job stopped without a message (killed, out of "
                                 f"memory or a crash); see {crashed[0]}", found)
        missing = [f for _, outs in jobs for f in outs if not f.exists()]
        if missing:
            return SubjectStatus(subject, "not finished", stage,
                                 f"{len(missing)} output(s) of the {stage} stage missing, e.g. {missing[0]} (the run "
                                 "was stopped before it, or only part of the workflow was run)", found)
    return SubjectStatus(subject, "done", None, "", found)


def summary_row(metrics: dict) -> dict:
    """One ``summary.csv`` row from a subject's ``metrics.json``."""
    m = metrics["policy"]
    row = {"subject": metrics["subject"], "episode_s": metrics["episode_s"], "n_rollouts": m["n_rollouts"]}
    row.update({label: m[key] for key, label in HEADLINE})
    row.update({key: m.get(key) for key in GAIT_CYCLE})
    z = metrics.get("zero_action")  # the floor is optional (evaluate.zero_action_floor)
    row.update({f"zero_action_{k}": None if z is None else z[k] for k in FLOOR})
    return row


def write_summary(statuses: list[SubjectStatus], out_csv: str | Path, out_html: str | Path | None = None,
                  out_rst: str | Path | None = None) -> pd.DataFrame:
    """``summary.csv``: one row per subject found, sorted by name: its status (stage and one-line message
    when it failed or was skipped) and the metrics of those evaluated. Also the same table as HTML, and as
    reStructuredText for the report's first page (subjects linked to their report category)."""
    rows = []
    for st in statuses:
        row = {"subject": st.subject, "status": st.status, "failed_stage": st.stage, "message": st.message}
        if st.metrics_json is not None:
            try:
                row.update({k: v for k, v in summary_row(read_json(st.metrics_json)).items() if k != "subject"})
            except KeyError as exc:
                raise InputError(st.metrics_json, f"metrics lack {exc}", "rerun the evaluate rule for this subject") from exc
        rows.append(row)
    columns = ["subject", "status", "failed_stage", "message", "episode_s", "n_rollouts",
               *(label for _, label in HEADLINE), *GAIT_CYCLE, *(f"zero_action_{k}" for k in FLOOR)]
    df = pd.DataFrame(rows, columns=columns)
    if len(df):
        df = df.sort_values("subject").reset_index(drop=True)
    write_table(out_csv, df)
    if out_html is not None:
        from gaitmimic.evaluate.report_html import table_page

        table_page(df, out_html, "Summary: one row per subject", transpose=True,
                   note="status: done, failed (at failed_stage, with the job's message), skipped (left out when the "
                        "subjects were found, with the reason) or not finished. "
                        "tracked_fraction: share of each evaluation episode tracked before the CoMic error threshold "
                        "or a fall (1 = all). RMSE in degrees, key-body error in cm, ratios simulated / reference. "
                        "zero_action_*: PD tracking of the reference without the policy (floor).")
    if out_rst is not None:
        write_text(out_rst, report_table_rst(df))
    return df


#: The columns of the report's first-page table: (summary.csv column, heading).
REPORT_COLUMNS = [("status", "status"), ("tracked_fraction", "tracked fraction"), ("fall_rate", "fall rate"),
                  ("joint_rmse_deg", "joint RMSE (deg)"), ("forward_speed_ratio", "speed ratio"),
                  ("stance_pct_difference", "stance % off"), ("heel_strike_timing_error_pct", "heel strike off (% cycle)"),
                  ("push_walked_on_share", "walks on after a push")]


def report_table_rst(df: pd.DataFrame) -> str:
    """The summary as an RST list-table: subject (a link to its report category when it finished), status,
    tracked fraction, falls, RMSE, speed; the message of a failed or skipped subject below the table."""
    def cell(v):
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "n/a"
        return f"{v:.3g}" if isinstance(v, float) else str(v).replace("|", "/")

    lines = [".. list-table:: Subjects", "   :header-rows: 1", "",
             "   * - subject", *(f"     - {head}" for _, head in REPORT_COLUMNS)]
    notes = []
    for row in df.to_dict("records"):
        name = str(row["subject"])
        link = f"`{name}`_" if row["status"] == "done" else f"``{name}``"
        status = row["status"] + (f" at {row['failed_stage']}" if isinstance(row["failed_stage"], str) else "")
        lines += [f"   * - {link}", f"     - {status}", *(f"     - {cell(row[col])}" for col, _ in REPORT_COLUMNS[1:])]
        if row["status"] != "done":
            where = f" at {row['failed_stage']}" if isinstance(row["failed_stage"], str) else ""
            message = " ".join(str(row["message"]).replace("``", "` `").split())
            notes.append(f"- ``{name}``: {row['status']}{where}: ``{message}``")
    if not len(df):
        lines += ["   * - (no subject found)", *("     - " for _ in REPORT_COLUMNS)]
    text = "\n".join(lines) + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    return text
