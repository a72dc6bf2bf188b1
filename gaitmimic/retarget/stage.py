"""Retarget stage entry points: build a subject's humanoid, retarget one IK trial to a reference.

INPUTS: scaled ``.osim``, IK ``.mot``, events CSV (optional: detected from the kinematics when
absent or too short), markers JSON (optional: treadmill flag + belt speed).
OUTPUTS: ``humanoid.xml`` (:func:`build_subject_humanoid`), :class:`RetargetResult` with the
:class:`~gaitmimic.retarget.reference.Reference` and a QC report (:func:`retarget_trial`).
Workflow entries: :func:`run_retarget_stage` (reference npz, joint centres npz, report JSON) and
:func:`write_playback` (the playback mp4 from those files).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.sim import humanoid
from gaitmimic.config import deep_merge
from gaitmimic.errors import InputError
from gaitmimic.retarget import gait_phase, grounding, joint_mapping, opensim_kinematics, root
from gaitmimic.retarget.reference import Reference, body_positions, central_velocities

log = logging.getLogger(__name__)

#: Defaults of the ``retarget:`` config section (config.yaml documents each key).
DEFAULTS: dict = {
    "control_rate_hz": 40.0,
    "filter_hz": 6.0,
    "scale_segments": True,
    "scale_masses": True,
    "joint_ranges_deg": {k: list(v) for k, v in humanoid.DEFAULT_RANGES_DEG.items()},
    "treadmill": "auto",
    "belt_speed_mps": None,
    "anchor_gain": 1.0,
    "toe_weight": 0.3,
    "lock_feet": True,
    "planes": "all",
    "playback_video": {"width": 320, "height": 240, "fps": 40.0, "camera_distance_m": 3.0, "max_seconds": 20.0,
                       "sphere_radius_m": 0.045},
}


def with_defaults(cfg: dict | None) -> dict:
    return deep_merge(DEFAULTS, cfg)


@dataclasses.dataclass
class RetargetResult:
    reference: Reference
    opensim_centres: np.ndarray  # (T, 6, 3) OpenSim hip/knee/ankle centres, mapped like the root (MuJoCo frame)
    centre_names: tuple[str, ...]
    report: dict


def build_subject_humanoid(osim_path: str | Path | None, cfg: dict | None = None):
    """The humanoid (mjcf root) with widened ranges, scaled to the subject's model if configured."""
    cfg = with_defaults(cfg)
    segments = opensim_kinematics.subject_segments(osim_path) if (cfg["scale_segments"] and osim_path) else None
    return humanoid.build_humanoid(segments, {k: tuple(v) for k, v in cfg["joint_ranges_deg"].items()},
                                   scale_masses=bool(cfg["scale_masses"]))


def write_subject_humanoid(osim_path, xml_path, cfg: dict | None = None) -> Path:
    return humanoid.write_humanoid(build_subject_humanoid(osim_path, cfg), xml_path)


def read_treadmill_info(markers_json: str | Path | None) -> tuple[bool | None, float | None]:
    """(treadmill flag, belt speed m/s) from the marker stage's JSON; None where unknown."""
    if not markers_json or not Path(markers_json).is_file():
        return None, None
    info = json.loads(Path(markers_json).read_text())
    flag = info.get("treadmill")
    speed = None
    for key in ("belt_speed_mps", "belt_speed_m_s", "belt_speed"):
        if info.get(key) is not None:
            speed = float(info[key])
            break
    return (None if flag is None else bool(flag)), speed


def _events(kin, events_csv) -> tuple:
    if events_csv and Path(events_csv).is_file():
        ev = gait_phase.read_events(events_csv)
        hs = gait_phase.heel_strike_times(ev, "right")
        inside = hs[(hs >= kin.time_s[0]) & (hs <= kin.time_s[-1])]
        if inside.size >= 2:
            return ev, "events_csv"
        log.warning("%s: %d right heel strikes inside the IK time range; detecting events from the kinematics",
                    events_csv, inside.size)
    return gait_phase.detect_events_from_kinematics(kin), "kinematic"


def _belt_speed(cfg, kin, stance, markers_json) -> tuple[bool, float, str]:
    if cfg["belt_speed_mps"] is not None:
        return float(cfg["belt_speed_mps"]) > 0, float(cfg["belt_speed_mps"]), "config"
    flag, speed = read_treadmill_info(markers_json)
    mode = cfg["treadmill"]
    if mode is False or mode == "false":
        return False, 0.0, "config"
    estimate, pelvis_speed = root.estimate_belt_speed(kin, stance)
    if flag is not None and mode == "auto":
        if not flag:
            return False, 0.0, "markers_json"
        return True, (speed if speed is not None else estimate), "markers_json"
    # auto without JSON: a treadmill walk has stance feet moving backward while the pelvis stays put
    treadmill = mode is True or mode == "true" or (estimate > 0.3 and abs(pelvis_speed) < 0.5 * estimate)
    return treadmill, (max(estimate, 0.0) if treadmill else 0.0), "kinematic_estimate"


def retarget_trial(osim_path, mot_path, humanoid_xml, events_csv=None, markers_json=None,
                   cfg: dict | None = None) -> RetargetResult:
    """Retarget one IK trial onto the humanoid written at ``humanoid_xml``."""
    cfg = with_defaults(cfg)
    rate = float(cfg["control_rate_hz"])
    model = humanoid.load_model(humanoid_xml)
    kin = opensim_kinematics.compute_kinematics(osim_path, mot_path, rate, cfg["filter_hz"])
    events, events_source = _events(kin, events_csv)
    stance = gait_phase.stance_masks(events, kin.time_s)
    treadmill, belt, belt_source = _belt_speed(cfg, kin, stance, markers_json)

    joints, torso_R = joint_mapping.map_joints(kin, model, float(cfg["toe_weight"]))
    if cfg["planes"] == "sagittal":
        joints, torso_R = joint_mapping.sagittal_only(joints, torso_R)
    elif cfg["planes"] != "all":
        raise ValueError(f"retarget.planes must be 'all' or 'sagittal', not {cfg['planes']!r}")
    lo_hi = humanoid.joint_ranges_rad(model)
    outside = (joints < lo_hi[:, 0]) | (joints > lo_hi[:, 1])
    clipped = {humanoid.JOINT_NAMES[j]: int(outside[:, j].sum()) for j in range(joints.shape[1]) if outside[:, j].any()}
    if clipped:
        log.warning("joint angles clipped to the humanoid ranges (frames per joint): %s", clipped)
    joints = np.clip(joints, lo_hi[:, 0], lo_hi[:, 1])

    seg = opensim_kinematics.subject_segments(osim_path)
    leg = humanoid.leg_length(model)
    ratio = leg / (seg.thigh_m + seg.shank_m)
    target = root.target_hip_midpoint(kin, ratio, belt)
    root_pos = target - root.hip_midpoint_offsets(model, torso_R, joints)
    start_xy = root_pos[0, :2].copy()
    root_pos[:, :2] -= start_xy
    qpos0 = root.assemble_qpos(root_pos, torso_R, joints)
    qpos, ground_info = grounding.ground(model, qpos0, stance, float(cfg["anchor_gain"]))
    if cfg["lock_feet"]:
        qpos, lock_info = grounding.lock_stance_feet(model, qpos, stance)
        qpos = grounding.put_on_floor(model, qpos)
        ground_info.update(lock_info)

    names = opensim_kinematics.LEG_CENTRES
    centres = root.opensim_points_mujoco(kin, names, ratio, belt)
    centres[:, :, :2] -= start_xy
    centres += (qpos[:, None, :3] - qpos0[:, None, :3])  # the grounding's root corrections

    dt = 1.0 / rate
    qvel = central_velocities(qpos, dt)
    try:
        starts, phase = gait_phase.cycles_and_phase(kin.time_s, gait_phase.heel_strike_times(events, "right"))
    except ValueError as err:
        raise InputError(events_csv or mot_path, f"no complete gait cycle: {err}",
                         "retarget walking trials with at least two right heel strikes") from err
    strides = np.diff(qpos[starts, :3], axis=0)
    ref = Reference(
        time_s=kin.time_s - kin.time_s[0], control_rate_hz=rate, qpos=qpos, qvel=qvel, phase=phase,
        cycle_starts=starts, joint_names=list(humanoid.JOINT_NAMES), body_names=list(humanoid.KEY_BODIES),
        body_xpos=body_positions(model, qpos, humanoid.KEY_BODIES), stride_m=strides.mean(axis=0),
        treadmill=bool(treadmill), belt_speed_mps=float(belt), source_mot=str(mot_path),
    )
    sliding = grounding.stance_sliding(model, qpos, stance)
    report = {
        "frames": int(qpos.shape[0]), "control_rate_hz": rate, "cycles": int(len(starts) - 1),
        "events_source": events_source, "treadmill": bool(treadmill), "belt_speed_mps": float(belt),
        "belt_speed_source": belt_source, "leg_length_ratio": float(ratio),
        "stride_m": ref.stride_m.tolist(),
        "speed_mps": float(np.linalg.norm(ref.stride_m[:2]) / (np.mean(np.diff(starts)) * dt)) if len(starts) > 1 else None,
        "clipped_frames": clipped, "grounding": ground_info,
        "stance_sliding_max_m": float(max((s["sliding_m"] for s in sliding), default=0.0)),
        "penetration_max_m": grounding.penetration_m(model, qpos),
        "knee_angle_error_max_deg": _flexion_error_deg(kin, joints, "knee", "knee_angle", 1.0),
        "ankle_angle_error_max_deg": _flexion_error_deg(kin, joints, "ankle_y", "ankle_angle", -1.0),
        "centre_error_mean_frac_leg": centre_error(model, qpos, centres, leg),
        "centre_error_world_mean_frac_leg": centre_error(model, qpos, centres, leg, relative_to_hips=False),
    }
    return RetargetResult(ref, centres, names, report)


def _flexion_error_deg(kin, joints, joint: str, coordinate: str, sign: float) -> float | None:
    """Largest |humanoid angle - sign * OpenSim coordinate| (deg) over both sides; None without the coordinate."""
    errs = []
    for side, s in (("right", "r"), ("left", "l")):
        name = f"{coordinate}_{s}"
        if name in kin.coordinates:
            j = humanoid.JOINT_NAMES.index(f"{side}_{joint}")
            errs.append(np.max(np.abs(np.rad2deg(joints[:, j] - sign * kin.coordinates[name]))))
    return float(max(errs)) if errs else None


def humanoid_centres(model: mujoco.MjModel, qpos: np.ndarray) -> np.ndarray:
    """(T, 6, 3) humanoid hip/knee/ankle centres in :data:`opensim_kinematics.LEG_CENTRES` order."""
    data = mujoco.MjData(model)
    out = np.zeros((qpos.shape[0], len(opensim_kinematics.LEG_CENTRES), 3))
    for t in range(qpos.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        c = humanoid.joint_centres(model, data)
        out[t] = [c[n] for n in opensim_kinematics.LEG_CENTRES]
    return out


def centre_error(model, qpos, opensim_centres, leg_length_m: float, relative_to_hips: bool = True) -> float:
    """Mean distance humanoid vs OpenSim joint centres, as a fraction of the humanoid leg length.

    ``relative_to_hips`` compares positions relative to each model's hip midpoint (shape of the
    legs, independent of the grounding's root shifts).
    """
    h = humanoid_centres(model, qpos)
    o = np.asarray(opensim_centres)
    if relative_to_hips:
        h = h - 0.5 * (h[:, 0:1] + h[:, 3:4])
        o = o - 0.5 * (o[:, 0:1] + o[:, 3:4])
    return float(np.linalg.norm(h - o, axis=2).mean() / leg_length_m)


def save_joint_centres(path: str | Path, centres: np.ndarray, names) -> Path:
    """Write the OpenSim joint centres of a reference (T, n, 3; MuJoCo frame) as an npz (atomically)."""
    from gaitmimic.atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, centres=np.asarray(centres, float), names=np.asarray(list(names), dtype=str))
    return path


def load_joint_centres(path: str | Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """The (T, n, 3) joint centres and their names written by :func:`save_joint_centres`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "joint centres not found", "run the retarget stage first")
    with np.load(path, allow_pickle=False) as z:
        return z["centres"], tuple(str(n) for n in z["names"])


def run_retarget_stage(osim_path, mot_path, humanoid_xml, events_csv, markers_json, out_npz, out_centres,
                       out_report, cfg: dict | None = None) -> RetargetResult:
    """Stage entry: retarget one trial; write the reference npz, the OpenSim joint centres npz (for the
    playback video) and the QC report JSON."""
    from gaitmimic.atomic import write_text
    from gaitmimic.retarget.reference import save_reference

    result = retarget_trial(osim_path, mot_path, humanoid_xml, events_csv, markers_json, cfg)
    save_reference(result.reference, out_npz)
    save_joint_centres(out_centres, result.opensim_centres, result.centre_names)
    log.info("reference %s: %s", out_npz, json.dumps(result.report))
    write_text(out_report, json.dumps(result.report, indent=2) + "\n")
    return result


def write_playback(reference_npz, centres_npz, humanoid_xml, out_video, video_cfg: dict | None = None) -> Path:
    """Stage entry: the kinematic playback mp4 of a reference, OpenSim joint centres drawn as spheres.

    A job of its own, so a new video size or frame rate re-renders only the video.
    """
    from gaitmimic.retarget import playback
    from gaitmimic.retarget.reference import load_reference

    vcfg = deep_merge(DEFAULTS["playback_video"], video_cfg)
    ref = load_reference(reference_npz)
    centres, _ = load_joint_centres(centres_npz)
    if centres.shape[0] != ref.n_frames:
        raise InputError(centres_npz, f"{centres.shape[0]} frames of joint centres for a {ref.n_frames}-frame "
                         f"reference ({reference_npz})", "re-run the retarget stage for this trial")
    fps = min(float(vcfg["fps"]), ref.control_rate_hz)
    idx = np.round(np.arange(0.0, min(ref.time_s[-1], float(vcfg["max_seconds"])) + 1e-9, 1.0 / fps)
                   * ref.control_rate_hz).astype(int)
    idx = idx[idx < ref.n_frames]
    return playback.write_playback_video(
        humanoid.load_model(humanoid_xml), ref.qpos[idx], out_video, fps=fps, points=centres[idx],
        width=int(vcfg["width"]), height=int(vcfg["height"]),
        camera_distance_m=float(vcfg["camera_distance_m"]), sphere_radius_m=float(vcfg["sphere_radius_m"]))
