"""Tables: the per-subject metrics table and ``summary.csv`` (one row per subject)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from gaitmimic.errors import InputError
from gaitmimic.io.reports import read_json, write_table

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
            rows.append({"policy": policy, **{label: m[key] for key, label in HEADLINE}})
    return pd.DataFrame(rows)


def summary_row(metrics: dict) -> dict:
    """One ``summary.csv`` row from a subject's ``metrics.json``."""
    m = metrics["policy"]
    row = {"subject": metrics["subject"], "episode_s": metrics["episode_s"], "n_rollouts": m["n_rollouts"]}
    row.update({label: m[key] for key, label in HEADLINE})
    z = metrics.get("zero_action")  # the floor is optional (evaluate.zero_action_floor)
    row.update({f"zero_action_{k}": None if z is None else z[k] for k in FLOOR})
    return row


def write_summary(metrics_jsons: list[str | Path], out_csv: str | Path, out_html: str | Path | None = None) -> pd.DataFrame:
    """``summary.csv``: one row per subject, sorted by subject name (and the same table as HTML)."""
    rows = []
    for path in metrics_jsons:
        try:
            rows.append(summary_row(read_json(path)))
        except KeyError as exc:
            raise InputError(path, f"metrics lack {exc}", "rerun the evaluate rule for this subject") from exc
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values("subject").reset_index(drop=True)
    write_table(out_csv, df)
    if out_html is not None:
        from gaitmimic.evaluate.report_html import table_page

        table_page(df, out_html, "Summary: one row per subject", transpose=True,
                   note="tracked_fraction: share of each evaluation episode tracked before the CoMic error threshold "
                        "or a fall (1 = all). RMSE in degrees, key-body error in cm, ratios simulated / reference. "
                        "zero_action_*: PD tracking of the reference without the policy (floor).")
    return df
