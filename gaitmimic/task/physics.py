"""The simulated humanoid: model edits per task mode and physics helpers (dm_control style).

``build_physics`` loads the subject's humanoid MJCF and, for ``mimic`` mode, swaps the stock
torque motors for PD position servos (one per joint, in joint order) with configurable gains and
torque limits. Ankles (~3x) and hip flexion (~1.5x) get more torque than the stock motors: a
deliberate model change, because the stock 20 Nm ankles cannot produce human gait torques
(IMITATION-NOTES.md: 95th percentile ankle torque 61 Nm).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import mujoco
import numpy as np
from dm_control import mjcf
from dm_control.mujoco import Physics

from gaitmimic.sim import humanoid
from gaitmimic.errors import InputError

#: Bodies whose positions are the end-effector reward/observation terms.
END_EFFECTORS = ("left_hand", "right_hand", "left_foot", "right_foot")
#: Geoms allowed to touch the floor (feet); any other body part touching it is a fall.
FOOT_GEOM_PATTERN = "*foot*"


def _per_joint(mapping: dict | float, joint_names: list[str], default: float) -> np.ndarray:
    """Expand ``{glob: value}`` (or a single value) to one value per joint; the last match wins."""
    if not isinstance(mapping, dict):
        return np.full(len(joint_names), float(mapping))
    out = np.full(len(joint_names), float(mapping.get("default", default)))
    for pattern, value in mapping.items():
        if pattern == "default":
            continue
        for i, name in enumerate(joint_names):
            if fnmatch.fnmatch(name, pattern):
                out[i] = float(value)
    return out


class GaitPhysics(Physics):
    """dm_control Physics with the helpers the gait task needs (all read ``self.data`` directly)."""

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
        self.foot_geom = np.array([fnmatch.fnmatch(n, FOOT_GEOM_PATTERN) for n in names] + [False])
        self.joint_names = [m.id2name(m.dof_jntid[i], "joint") for i in range(6, m.nv)]

    # --- helpers in the style of dm_control.suite.humanoid.Physics ---
    def torso_upright(self) -> float:
        """z-component of the torso's z-axis (1 = upright)."""
        return float(self.data.xmat[self.torso_id, 8])

    def torso_height(self) -> float:
        return float(self.data.xpos[self.torso_id, 2])

    def head_height(self) -> float:
        return float(self.data.xpos[self.head_id, 2])

    def center_of_mass_position(self) -> np.ndarray:
        return self.data.subtree_com[self.torso_id].copy()

    def center_of_mass_velocity(self) -> np.ndarray:
        return self.data.sensordata[:3].copy()  # torso_subtreelinvel is the first sensor

    def torso_vertical_orientation(self) -> np.ndarray:
        return self.data.xmat[self.torso_id, 6:9].copy()

    def joint_angles(self) -> np.ndarray:
        return self.data.qpos[7:].copy()

    def extremities(self) -> np.ndarray:
        """End-effector positions in the torso frame, flattened (12,)."""
        torso_frame = self.data.xmat[self.torso_id].reshape(3, 3)
        rel = self.data.xpos[self.ee_ids] - self.data.xpos[self.torso_id]
        return (rel @ torso_frame).ravel()

    def non_foot_floor_contact(self) -> bool:
        """True when any geom other than a foot touches the floor."""
        ncon = self.data.ncon
        if ncon == 0:
            return False
        g = self.data.contact.geom[:ncon]
        other = np.where(g[:, 0] == self.floor_id, g[:, 1], np.where(g[:, 1] == self.floor_id, g[:, 0], -1))
        return bool(np.any(~self.foot_geom[other]))


def build_physics(humanoid_xml: str | Path, task_cfg: dict) -> GaitPhysics:
    """Load the humanoid and apply the task mode's actuators, integrator and gravity."""
    humanoid_xml = Path(humanoid_xml)
    if not humanoid_xml.is_file():
        raise InputError(humanoid_xml, "humanoid MJCF not found", "run the retarget stage or fix the path")
    root = mjcf.from_path(str(humanoid_xml), escape_separators=True)  # files exported by mjcf use class="/"
    root.option.timestep = float(task_cfg.get("physics_timestep_s", 0.005))
    if task_cfg.get("mode", "mimic") == "mimic":
        servo = task_cfg.get("mimic", {}).get("servo", {})
        scale = servo.get("scale_to_body", "none")
        factor = body_torque_factor(humanoid_xml) if scale in ("limits", "all") else 1.0
        _use_pd_servos(root, servo, gain_factor=factor if scale == "all" else 1.0, limit_factor=factor)
        root.option.integrator = "implicitfast"
    xml = root.to_xml_string()
    physics = GaitPhysics.from_xml_string(xml, assets=root.get_assets())
    physics.model.opt.gravity[2] = -abs(float(task_cfg.get("gravity_mps2", 9.81)))
    physics.setup_gait()
    return physics


def body_torque_factor(humanoid_xml) -> float:
    """(body mass x leg length) of the humanoid relative to the stock suite humanoid (40.8 kg, 0.71 m leg).

    Gravity and inertial joint torques grow with mass times segment length: a 70 kg, 1.75 m subject
    needs about twice the stock humanoid's torques for the same motion."""
    model = humanoid.load_model(humanoid_xml)
    stock_leg = humanoid.STOCK_THIGH + humanoid.STOCK_SHANK
    return float(model.body_mass.sum() / humanoid.STOCK_MASS_KG * humanoid.leg_length(model) / stock_leg)


def _use_pd_servos(root: mjcf.RootElement, servo_cfg: dict, gain_factor: float = 1.0,
                   limit_factor: float = 1.0) -> None:
    """Replace each stock motor by a PD position servo on the same joint (joint order).

    torque = clip(kp (target - q) - kv qdot, +-limit) with kp = gain_factor * kp_base * gear / 100
    (Nm/rad), kv = kd_ratio * kp, limit = limit_factor * gear * torque_scale[joint] (stock motors
    saturate at gear; the factors are :func:`body_torque_factor` or 1, per servo.scale_to_body).
    """
    gears = {}
    for act in root.find_all("actuator"):
        joint = act.joint.name if hasattr(act.joint, "name") else str(act.joint)
        gears[joint] = float(np.atleast_1d(act.gear)[0]) if act.gear is not None else 1.0
        act.remove()
    joints = [j for j in root.find_all("joint") if j.name in gears]
    names = [j.name for j in joints]
    kp_base = float(servo_cfg.get("kp_base", 500.0))
    kd_ratio = float(servo_cfg.get("kd_ratio", 0.1))
    scale = _per_joint(servo_cfg.get("torque_scale", {"default": 1.0}), names, 1.0)
    for j, s in zip(joints, scale):
        gear = gears[j.name]
        kp = kp_base * gear * gain_factor / 100.0
        limit = gear * limit_factor * s
        root.actuator.add("general", name=j.name, joint=j, ctrllimited="false",
                          gaintype="fixed", gainprm=[kp], biastype="affine", biasprm=[0, -kp, -kd_ratio * kp],
                          forcelimited="true", forcerange=[-limit, limit])
