"""The simulated humanoid of the task: model edits per task mode, and the ids the task reads.

``build_physics`` loads the subject's humanoid MJCF and, for ``mimic`` mode, swaps the stock
torque motors for PD position servos (one per joint, in joint order) with configurable gains and
torque limits. Ankles (~3x) and hip flexion (~1.5x) get more torque than the stock motors: a
deliberate model change, because the stock 20 Nm ankles cannot produce human gait torques (the
95th percentile ankle torque of human gait is about 61 Nm).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path

import mujoco
import numpy as np
from dm_control import mjcf
from dm_control.mujoco import Physics

from gaitmimic import settings
from gaitmimic.errors import InputError
from gaitmimic.sim import humanoid

#: Bodies whose positions are the end-effector reward/observation terms.
END_EFFECTORS = ("left_hand", "right_hand", "left_foot", "right_foot")
#: Geoms allowed to touch the floor (feet); any other body part touching it is a fall.
FOOT_GEOM_PATTERN = "*foot*"


def per_joint(table: Mapping[str, float], joint_names: list[str], fallback: float) -> np.ndarray:
    """Expand a ``{joint-name glob: value}`` table to one value per joint: the last matching glob wins;
    joints no glob matches take the table's ``default`` entry, or ``fallback`` when it has none."""
    out = np.full(len(joint_names), float(table["default"] if "default" in table else fallback))
    for pattern, value in table.items():
        if pattern == "default":
            continue
        for i, name in enumerate(joint_names):
            if fnmatch.fnmatch(name, pattern):
                out[i] = float(value)
    return out


class GaitPhysics(Physics):
    """dm_control Physics with the body, geom and joint ids the gait task needs; ``step`` is plain
    ``mj_step``, as the task core steps its humanoids (:mod:`gaitmimic.task.core`)."""

    legacy_step = False

    def setup_gait(self) -> None:
        """Cache ids once after loading (called by :func:`build_physics`)."""
        m = self.model
        self.torso_id = mujoco.mj_name2id(m.ptr, mujoco.mjtObj.mjOBJ_BODY, "torso")
        self.head_id = mujoco.mj_name2id(m.ptr, mujoco.mjtObj.mjOBJ_BODY, "head")
        self.ee_ids = np.array([mujoco.mj_name2id(m.ptr, mujoco.mjtObj.mjOBJ_BODY, n) for n in END_EFFECTORS])
        if (self.ee_ids < 0).any() or self.torso_id < 0:
            raise InputError(None, "humanoid model lacks torso/hand/foot bodies", "use the dm_control suite humanoid")
        floor = mujoco.mj_name2id(m.ptr, mujoco.mjtObj.mjOBJ_GEOM, "floor")
        self.floor_id = floor if floor >= 0 else 0
        names = [m.id2name(i, "geom") or "" for i in range(m.ngeom)]
        self.foot_geom = np.array([fnmatch.fnmatch(n, FOOT_GEOM_PATTERN) for n in names])
        self.joint_names = [m.id2name(m.dof_jntid[i], "joint") for i in range(6, m.nv)]


def build_physics(humanoid_xml: str | Path, task) -> GaitPhysics:
    """Load the humanoid and apply the task mode's actuators, integrator and gravity (``task``: the
    ``task`` settings, :func:`gaitmimic.settings.section`)."""
    humanoid_xml = Path(humanoid_xml)
    if not humanoid_xml.is_file():
        raise InputError(humanoid_xml, "humanoid MJCF not found", "run the retarget stage or fix the path")
    root = mjcf.from_path(str(humanoid_xml), escape_separators=True)  # files exported by mjcf use class="/"
    root.option.timestep = float(task.physics_timestep_s)
    if task.mode == "mimic":
        servo = task.mimic.servo
        factor = body_torque_factor(humanoid_xml) if servo.scale_to_body in ("limits", "all") else 1.0
        _use_pd_servos(root, servo, gain_factor=factor if servo.scale_to_body == "all" else 1.0, limit_factor=factor)
        root.option.integrator = "implicitfast"
    xml = root.to_xml_string()
    physics = GaitPhysics.from_xml_string(xml, assets=root.get_assets())
    physics.model.opt.gravity[2] = -abs(float(task.gravity_mps2))
    physics.setup_gait()
    return physics


def body_torque_factor(humanoid_xml) -> float:
    """(body mass x leg length) of the humanoid relative to the stock suite humanoid (40.8 kg, 0.71 m leg).

    Gravity and inertial joint torques grow with mass times segment length: a 70 kg, 1.75 m subject
    needs about twice the stock humanoid's torques for the same motion."""
    model = humanoid.load_model(humanoid_xml)
    stock_leg = humanoid.STOCK_THIGH + humanoid.STOCK_SHANK
    return float(model.body_mass.sum() / humanoid.STOCK_MASS_KG * humanoid.leg_length(model) / stock_leg)


def _use_pd_servos(root: mjcf.RootElement, servo, gain_factor: float, limit_factor: float) -> None:
    """Replace each stock motor by a PD position servo on the same joint (joint order).

    torque = clip(kp (target - q) - kv qdot, +-limit) with kp = gain_factor * kp_base * gear / 100
    (Nm/rad), kv = kd_ratio * kp, limit = limit_factor * gear * torque_scale[joint] (stock motors
    saturate at gear; the factors are :func:`body_torque_factor` or 1, per servo.scale_to_body).
    ``servo``: the ``task.mimic.servo`` settings.
    """
    gears = {}
    for act in root.find_all("actuator"):
        joint = act.joint.name if hasattr(act.joint, "name") else str(act.joint)
        gears[joint] = float(np.atleast_1d(act.gear)[0]) if act.gear is not None else 1.0
        act.remove()
    joints = [j for j in root.find_all("joint") if j.name in gears]
    names = [j.name for j in joints]
    kp_base = float(servo.kp_base)
    kd_ratio = float(servo.kd_ratio)
    scale = per_joint(servo.torque_scale, names, settings.schema_default("task.mimic.servo.torque_scale")["default"])
    for j, s in zip(joints, scale):
        gear = gears[j.name]
        kp = kp_base * gear * gain_factor / 100.0
        limit = gear * limit_factor * s
        root.actuator.add("general", name=j.name, joint=j, ctrllimited="false",
                          gaintype="fixed", gainprm=[kp], biastype="affine", biasprm=[0, -kp, -kd_ratio * kp],
                          forcelimited="true", forcerange=[-limit, limit])
