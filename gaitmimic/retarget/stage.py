"""Retarget stage entry points: build a subject's humanoid, retarget one IK trial to a reference.

INPUTS: scaled ``.osim``, IK ``.mot``, events CSV of the marker stage (optional: detected from the kinematics
when absent or with fewer than two right heel strikes in the IK time range), markers JSON of the marker stage
(optional: its ``treadmill`` flag and ``belt_speed_mps``).
OUTPUTS: ``humanoid.xml`` (:func:`build_subject_humanoid`), :class:`RetargetResult` with the
:class:`~gaitmimic.io.reference.Reference` and a QC report (:func:`retarget_trial`).
Workflow entries: :func:`write_subject_humanoid` (rule ``retarget_humanoid``) and :func:`run_retarget_stage`
(rule ``retarget``: reference npz, joint centres npz, report JSON); the playback video (rule
``retarget_playback``) enters through :func:`gaitmimic.retarget.playback.write_playback`, so that editing the
renderer re-renders videos instead of retraining policies. Settings: the ``retarget`` section
(``settings.section("retarget", ...)``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import mujoco
import numpy as np

from gaitmimic import settings
from gaitmimic.errors import InputError
from gaitmimic.io.events import read_events
from gaitmimic.io.reference import Reference, write_joint_centres, write_reference
from gaitmimic.io.reports import read_json, write_json
from gaitmimic.markers.events import stance_belt_speed, treadmill_state
from gaitmimic.retarget import gait_phase, grounding, joint_mapping, opensim_kinematics, root
from gaitmimic.retarget.reference import central_velocities
from gaitmimic.sim import contact, humanoid, segment_angles

log = logging.getLogger(__name__)

@dataclasses.dataclass
class RetargetResult:
    reference: Reference
    opensim_centres: np.ndarray  # (T, 6, 3) OpenSim hip/knee/ankle centres, mapped like the root (MuJoCo frame)
    centre_names: tuple[str, ...]
    report: dict


def build_subject_humanoid(osim_path: str | Path | None, cfg):
    """The humanoid (mjcf root) with the ``cfg.joint_ranges_deg`` ranges, scaled to the subject's model when
    ``cfg.scale_segments`` (and ``osim_path`` is given). ``cfg``: the ``retarget`` settings."""
    segments = opensim_kinematics.subject_segments(osim_path) if (cfg.scale_segments and osim_path) else None
    return humanoid.build_humanoid(segments, cfg.joint_ranges_deg, scale_masses=bool(cfg.scale_masses))


def write_subject_humanoid(osim_path, xml_path, cfg) -> Path:
    """Stage entry: write the subject's ``humanoid.xml`` (:func:`build_subject_humanoid`) and its assets."""
    return humanoid.write_humanoid(build_subject_humanoid(osim_path, cfg), xml_path)


def read_treadmill_info(markers_json: str | Path | None) -> tuple[bool | None, float | None]:
    """(treadmill flag, belt speed m/s) from the marker stage's JSON (keys ``treadmill``, ``belt_speed_mps``);
    (None, None) without a JSON."""
    if markers_json is None:
        return None, None
    info = read_json(markers_json)
    missing = [k for k in ("treadmill", "belt_speed_mps") if k not in info]
    if missing:
        raise InputError(markers_json, f"lacks {missing}", "rerun the marker stage for this trial")
    return bool(info["treadmill"]), float(info["belt_speed_mps"])


def _events(kin, events_csv) -> tuple:
    if events_csv is not None:
        ev = read_events(events_csv)
        hs = gait_phase.heel_strike_times(ev, "right")
        inside = hs[(hs >= kin.time_s[0]) & (hs <= kin.time_s[-1])]
        if inside.size >= 2:
            return ev, "events_csv"
        log.warning("%s: %d right heel strikes inside the IK time range; detecting events from the kinematics",
                    events_csv, inside.size)
    return gait_phase.detect_events_from_kinematics(kin), "kinematic"


def treadmill_from_kinematics(kin) -> tuple[bool, float]:
    """(treadmill?, belt speed m/s) from the OpenSim kinematics, by the marker stage's rule
    (:func:`gaitmimic.markers.events.treadmill_state`, with the schema's ``markers.orientation.treadmill_travel_m``):
    the hip-centre midpoint as the pelvis, the calcaneus origins as the heels (OpenSim frame). Used only without
    the marker stage's JSON."""
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"])
    rate = 1.0 / float(np.median(np.diff(kin.time_s)))
    travel_m = float(settings.schema_default("markers.orientation.treadmill_travel_m"))
    treadmill, belt, _ = treadmill_state(hip_mid, _heels(kin), rate, travel_m)
    return bool(treadmill), float(belt)


def _heels(kin) -> list[np.ndarray]:
    return [kin.points["foot_r"], kin.points["foot_l"]]


def _belt_speed(cfg, kin, markers_json) -> tuple[bool, float, str]:
    """(treadmill, belt speed m/s, source): ``cfg.belt_speed_mps`` when set; ``cfg.treadmill`` false: none;
    else the marker stage's decision (JSON), else the kinematics' (:func:`treadmill_from_kinematics`).
    ``cfg.treadmill`` true forces a treadmill: the detected belt speed, or when none was detected the stance
    feet's backward speed (:func:`gaitmimic.markers.events.stance_belt_speed`)."""
    if cfg.belt_speed_mps is not None:
        return float(cfg.belt_speed_mps) > 0, float(cfg.belt_speed_mps), "config"
    if cfg.treadmill is False:
        return False, 0.0, "config"
    flag, speed = read_treadmill_info(markers_json)
    if flag is not None:
        treadmill, belt, source = flag, speed, "markers_json"
    else:
        (treadmill, belt), source = treadmill_from_kinematics(kin), "kinematic_estimate"
    if cfg.treadmill is True and not treadmill:  # forced: the stance feet's backward speed is the belt's
        rate = 1.0 / float(np.median(np.diff(kin.time_s)))
        treadmill, belt, source = True, max(stance_belt_speed(_heels(kin), rate), 0.0), "kinematic_estimate"
    return bool(treadmill), (float(belt) if treadmill else 0.0), source


def retarget_trial(osim_path, mot_path, humanoid_xml, events_csv=None, markers_json=None, *, cfg) -> RetargetResult:
    """Retarget one IK trial onto the humanoid written at ``humanoid_xml``; ``cfg``: the ``retarget`` settings.

    ``events_csv`` / ``markers_json`` None: events and treadmill detected from the OpenSim kinematics."""
    rate = float(cfg.control_rate_hz)
    model = humanoid.load_model(humanoid_xml)
    kin = opensim_kinematics.compute_kinematics(osim_path, mot_path, rate, cfg.filter_hz)
    tracked = root.trunk_tracked(kin)
    trunk = "tracked" if tracked else "upright (not tracked: the IK held the lumbar coordinates)"
    if not tracked:
        kin = root.upright_trunk(kin)
    events, events_source = _events(kin, events_csv)
    stance = gait_phase.stance_masks(events, kin.time_s)
    treadmill, belt, belt_source = _belt_speed(cfg, kin, markers_json)

    joints, torso_R = joint_mapping.map_joints(kin, model, float(cfg.toe_weight))
    if cfg.planes == "sagittal":
        joints, torso_R = joint_mapping.sagittal_only(joints, torso_R)
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
    qpos, ground_info = grounding.ground(model, qpos0, stance, float(cfg.anchor_gain))
    if cfg.lock_feet:
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
        body_xpos=humanoid.body_positions(model, qpos, humanoid.KEY_BODIES), stride_m=strides.mean(axis=0),
        treadmill=bool(treadmill), belt_speed_mps=float(belt), source_mot=str(mot_path),
    )
    sliding = grounding.stance_sliding(model, qpos, stance)
    sim_centres = humanoid_centres(model, qpos)
    report = {
        "frames": int(qpos.shape[0]), "control_rate_hz": rate, "cycles": int(len(starts) - 1),
        "events_source": events_source, "treadmill": bool(treadmill), "belt_speed_mps": float(belt),
        "belt_speed_source": belt_source, "leg_length_ratio": float(ratio), "trunk": trunk,
        "stride_m": ref.stride_m.tolist(),
        "speed_mps": float(np.linalg.norm(ref.stride_m[:2]) / (np.mean(np.diff(starts)) * dt)) if len(starts) > 1 else None,
        "clipped_frames": clipped, "grounding": ground_info,
        "stance_sliding_max_m": float(max((s["sliding_m"] for s in sliding), default=0.0)),
        "penetration_max_m": grounding.penetration_m(model, qpos),
        "knee_angle_error_max_deg": _flexion_error_deg(kin, joints, "knee", "knee_angle", 1.0),
        "ankle_angle_error_max_deg": _flexion_error_deg(kin, joints, "ankle_y", "ankle_angle", -1.0),
        "centre_error_mean_frac_leg": centre_error(sim_centres, centres, leg),
        "centre_error_world_mean_frac_leg": centre_error(sim_centres, centres, leg, relative_to_hips=False),
        # the humanoid's foot-floor contacts (the evaluation's rule) against the subject's events
        "contact_timing": gait_phase.contact_timing(contact.foot_contacts(model, qpos), events, kin.time_s),
        "segment_angle_error_deg": segment_angle_errors(kin, model, qpos, stance),
    }
    return RetargetResult(ref, centres, names, report)


def segment_angle_errors(kin, model: mujoco.MjModel, qpos: np.ndarray,
                         stance: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """The retargeted humanoid's pelvis angles, hip rotation and foot progression against the subject's, both
    read by :func:`gaitmimic.sim.segment_angles.segment_angles_deg` (the humanoid's by forward kinematics of
    ``qpos``): per angle, the RMSE, the mean difference (humanoid - subject) and the largest difference (deg);
    foot progression also over its side's stance frames (``stance``: per side "r"/"l", (T,) bool), where a gait
    lab reads it (in swing the plantarflexed foot's heading is ill-conditioned)."""
    subject = segment_angles.segment_angles_deg({seg: kin.from_neutral(seg) for seg in segment_angles.SEGMENT_BODIES.values()})
    ours = segment_angles.segment_angles_deg(segment_angles.humanoid_segment_rotations(model, qpos))
    out = {}
    for name in segment_angles.SEGMENT_ANGLES:
        d = ours[name] - subject[name]
        out[name] = {"rmse": round(float(np.sqrt(np.mean(d ** 2))), 3), "mean": round(float(np.mean(d)), 3),
                     "max": round(float(np.max(np.abs(d))), 3)}
        if name.startswith("foot_progression_") and stance[name[-1]].any():
            out[name]["stance_rmse"] = round(float(np.sqrt(np.mean(d[stance[name[-1]]] ** 2))), 3)
    return out


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
    out = np.zeros((qpos.shape[0], len(opensim_kinematics.LEG_CENTRES), 3))
    for t, data in humanoid.kinematics_frames(model, qpos):
        c = humanoid.joint_centres(model, data)
        out[t] = [c[n] for n in opensim_kinematics.LEG_CENTRES]
    return out


def centre_error(humanoid_centres_m, opensim_centres, leg_length_m: float, relative_to_hips: bool = True) -> float:
    """Mean distance humanoid (:func:`humanoid_centres`) vs OpenSim joint centres, both (T, 6, 3), as a fraction
    of the humanoid leg length.

    ``relative_to_hips`` compares positions relative to each model's hip midpoint (shape of the
    legs, independent of the grounding's root shifts).
    """
    h = np.asarray(humanoid_centres_m)
    o = np.asarray(opensim_centres)
    if relative_to_hips:
        h = h - 0.5 * (h[:, 0:1] + h[:, 3:4])
        o = o - 0.5 * (o[:, 0:1] + o[:, 3:4])
    return float(np.linalg.norm(h - o, axis=2).mean() / leg_length_m)


def run_retarget_stage(osim_path, mot_path, humanoid_xml, events_csv, markers_json, out_npz, out_centres,
                       out_report, cfg) -> RetargetResult:
    """Stage entry: retarget one trial (``cfg``: the ``retarget`` settings); write the reference npz, the
    OpenSim joint centres npz (for the playback video) and the QC report JSON."""
    result = retarget_trial(osim_path, mot_path, humanoid_xml, events_csv, markers_json, cfg=cfg)
    write_reference(out_npz, result.reference)
    write_joint_centres(out_centres, result.opensim_centres, result.centre_names)
    log.info("reference %s: %s", out_npz, json.dumps(result.report))
    write_json(out_report, result.report)
    return result
