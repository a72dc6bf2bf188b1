"""The walker: dm_control's suite humanoid, edited through ``dm_control.mjcf``.

The stock XML is always loaded from the installed dm_control package (never copied into the
repository), then:

- joint ranges are set to the ``retarget.joint_ranges_deg`` settings (widened where human gait exceeds
  the stock ones: hip adduction, hip extension, knee hyper-extension, ankles, elbows; the schema's
  defaults and config.yaml give the values and the reasons);
- optionally, segment lengths (pelvis width, thigh, shank, foot, trunk, arms) and masses are scaled to
  a subject's scaled OpenSim model (:class:`SubjectSegments`, built by
  :func:`gaitmimic.retarget.opensim_kinematics.subject_segments`);
- the result is written with its assets so ``mujoco.MjModel.from_xml_path`` loads it standalone.

Joint order in ``qpos[7:]`` is :data:`JOINT_NAMES` (the stock order). Stock actuators are kept.

Humanoid "joint centres" used for comparisons with OpenSim: hip = thigh body origin, knee = knee
joint anchor, ankle = ``ankle_y`` joint anchor (see :data:`JOINT_CENTRES`).
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.atomic import atomic_path, write_text

JOINT_NAMES: tuple[str, ...] = (
    "abdomen_z", "abdomen_y", "abdomen_x",
    "right_hip_x", "right_hip_z", "right_hip_y", "right_knee", "right_ankle_y", "right_ankle_x",
    "left_hip_x", "left_hip_z", "left_hip_y", "left_knee", "left_ankle_y", "left_ankle_x",
    "right_shoulder1", "right_shoulder2", "right_elbow", "left_shoulder1", "left_shoulder2", "left_elbow",
)  # fmt: skip
NQ, NV = 28, 27

#: Bodies whose world positions go into the reference (``body_xpos``).
KEY_BODIES: tuple[str, ...] = (
    "torso", "head", "pelvis", "right_thigh", "right_shin", "right_foot", "left_thigh", "left_shin",
    "left_foot", "right_hand", "left_hand",
)  # fmt: skip

#: Humanoid joint centres: name -> ("body", body) or ("joint", joint anchor).
JOINT_CENTRES: dict[str, tuple[str, str]] = {
    "hip_r": ("body", "right_thigh"), "knee_r": ("joint", "right_knee"), "ankle_r": ("joint", "right_ankle_y"),
    "hip_l": ("body", "left_thigh"), "knee_l": ("joint", "left_knee"), "ankle_l": ("joint", "left_ankle_y"),
}  # fmt: skip

# Stock geometry (metres) of the suite humanoid, measured from suite/humanoid.xml.
STOCK_THIGH = 0.383  # hip (thigh origin) -> knee anchor: shin pos z (-.403) + knee pos (.02)
STOCK_SHANK = 0.33  # knee anchor -> ankle_y anchor: .02 + .39 - .08
STOCK_FOOT = 0.264  # heel to toe tip of the foot capsules (-.07 - .027 .. .14 + .027)
STOCK_MASS_KG = 40.844  # total body mass of the suite humanoid (dm_control's default density)
STOCK_UPPER_ARM = 0.18 * np.sqrt(3.0)
STOCK_LOWER_ARM = 0.18 * np.sqrt(3.0)


@dataclasses.dataclass
class SubjectSegments:
    """Segment lengths (m) and masses (kg) of a subject, from its scaled OpenSim model.

    ``trunk`` is a scale factor (dimensionless) for the torso/abdomen/head; arm lengths are None
    when the OpenSim model has no arms (then arms follow ``trunk``). ``masses_kg`` maps humanoid
    body groups ("pelvis", "thigh", "shin", "foot", "upper" = torso+waist+head+arms) to masses.
    """

    hip_half_width_m: float
    thigh_m: float
    shank_m: float
    foot_m: float
    trunk_scale: float
    upper_arm_m: float | None
    lower_arm_m: float | None
    masses_kg: dict[str, float]


def suite_humanoid_path() -> Path:
    """Path of the stock ``humanoid.xml`` inside the installed dm_control package."""
    from dm_control import suite

    return Path(suite.__file__).parent / "humanoid.xml"


def _deg(lo_hi) -> list[float]:
    return [float(lo_hi[0]), float(lo_hi[1])]


def _scale_vec(value, factors) -> np.ndarray | None:
    """``value * factors`` elementwise; None (attribute not set) stays None."""
    if value is None:
        return None
    return np.asarray(value, dtype=float) * np.asarray(factors, dtype=float)


def build_humanoid(segments: SubjectSegments | None, ranges_deg, scale_masses: bool):
    """Return the edited humanoid as a ``dm_control.mjcf`` root element.

    ``segments`` None keeps the stock sizes (and masses); ``ranges_deg`` is the ``retarget.joint_ranges_deg``
    settings (``settings.section("retarget").joint_ranges_deg``): per joint kind (hip_x, hip_z, hip_y, knee,
    ankle_y, ankle_x, elbow) the (low, high) range in degrees, both sides. ``scale_masses``: set the segment
    masses to the subject's (only with ``segments``).
    """
    from dm_control import mjcf

    root = mjcf.from_path(str(suite_humanoid_path()))
    for side in ("right", "left"):
        for kind, lo_hi in dataclasses.asdict(ranges_deg).items():
            root.find("joint", f"{side}_{kind}").range = _deg(lo_hi)
    if segments is not None:
        _scale_lengths(root, segments)
        if scale_masses:
            _scale_masses(root, segments)
    return root


def _scale_lengths(root, seg: SubjectSegments) -> None:
    find = root.find
    s_thigh = seg.thigh_m / STOCK_THIGH
    s_shank = seg.shank_m / STOCK_SHANK
    s_foot = seg.foot_m / STOCK_FOOT
    s_trunk = seg.trunk_scale
    s_uarm = (seg.upper_arm_m / STOCK_UPPER_ARM) if seg.upper_arm_m else s_trunk
    s_larm = (seg.lower_arm_m / STOCK_LOWER_ARM) if seg.lower_arm_m else s_trunk
    # Trunk: torso geoms, head, waist and pelvis offsets and sizes scale uniformly.
    for name in ("torso", "upper_waist"):
        g = find("geom", name)
        g.fromto = _scale_vec(g.fromto, s_trunk)
        g.size = _scale_vec(g.size, s_trunk)
    for name in ("head", "lower_waist", "pelvis"):
        b = find("body", name)
        b.pos = _scale_vec(b.pos, s_trunk)
    for name in ("head", "lower_waist", "butt"):
        g = find("geom", name)
        if g.fromto is not None:
            g.fromto = _scale_vec(g.fromto, s_trunk)
        g.size = _scale_vec(g.size, s_trunk)
    for name in ("abdomen_z", "abdomen_y", "abdomen_x"):
        j = find("joint", name)
        j.pos = _scale_vec(j.pos, s_trunk)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        thigh = find("body", f"{side}_thigh")
        thigh.pos = [thigh.pos[0] * s_trunk, sign * seg.hip_half_width_m, thigh.pos[2] * s_trunk]
        g = find("geom", f"{side}_thigh")
        g.fromto = _scale_vec(g.fromto, s_thigh)
        shin = find("body", f"{side}_shin")
        knee_z = float(find("joint", f"{side}_knee").pos[2])
        shin.pos = [shin.pos[0], shin.pos[1] * s_thigh, -seg.thigh_m - knee_z]
        g = find("geom", f"{side}_shin")
        g.fromto = _scale_vec(g.fromto, s_shank)
        foot = find("body", f"{side}_foot")
        ja, jx = find("joint", f"{side}_ankle_y"), find("joint", f"{side}_ankle_x")
        ja.pos = _scale_vec(ja.pos, s_foot)
        jx.pos = _scale_vec(jx.pos, s_foot)
        foot.pos = [foot.pos[0], foot.pos[1], knee_z - seg.shank_m - float(ja.pos[2])]
        for g in foot.find_all("geom"):
            g.fromto = _scale_vec(g.fromto, s_foot)
            g.size = _scale_vec(g.size, s_foot)
        for s in foot.find_all("site"):
            s.pos = _scale_vec(s.pos, s_foot)
            s.size = _scale_vec(s.size, s_foot)
        ua = find("body", f"{side}_upper_arm")
        ua.pos = _scale_vec(ua.pos, s_trunk)
        g = find("geom", f"{side}_upper_arm")
        g.fromto = _scale_vec(g.fromto, s_uarm)
        la = find("body", f"{side}_lower_arm")
        la.pos = _scale_vec(la.pos, s_uarm)
        g = find("geom", f"{side}_lower_arm")
        g.fromto = _scale_vec(g.fromto, s_larm)
        find("body", f"{side}_hand").pos = _scale_vec(find("body", f"{side}_hand").pos, s_larm)
    # Touch sites on the legs follow the geoms approximately (sensors only).
    for side in ("right", "left"):
        for seg_name, s in (("thigh", s_thigh), ("shin", s_shank)):
            site = find("site", f"{side}_{seg_name}")
            site.pos = _scale_vec(site.pos, s)
            site.size = [site.size[0], site.size[1] * s]


#: Humanoid body groups whose total mass is set to the subject's segment masses.
MASS_GROUPS: dict[str, tuple[str, ...]] = {
    "pelvis": ("pelvis",),
    "thigh": ("right_thigh", "left_thigh"),
    "shin": ("right_shin", "left_shin"),
    "foot": ("right_foot", "left_foot"),
    "upper": ("torso", "head", "lower_waist", "right_upper_arm", "right_lower_arm", "right_hand",
              "left_upper_arm", "left_lower_arm", "left_hand"),
}  # fmt: skip


def _scale_masses(root, seg: SubjectSegments) -> None:
    """Set geom densities so each body group's mass equals the subject's (``masses_kg``, both sides summed)."""
    model = mujoco.MjModel.from_xml_string(root.to_xml_string(), root.get_assets())
    for group, bodies in MASS_GROUPS.items():
        if group not in seg.masses_kg:
            continue
        current = sum(float(model.body(b).mass[0]) for b in bodies)
        factor = seg.masses_kg[group] / current
        for b in bodies:
            for g in root.find("body", b).find_all("geom", immediate_children_only=True):
                g.density = 1000.0 * factor if g.density is None else float(g.density) * factor


def to_standalone_xml(root) -> str:
    """MJCF text of ``root`` that both MuJoCo and ``mjcf.from_path`` parse.

    dm_control writes its top-level default class as ``class="/"``, which ``mjcf`` itself refuses
    to read back; that wrapper is unwrapped and the attribute dropped.
    """
    tree = ET.fromstring(root.to_xml_string(precision=8))
    top = tree.find("default")
    if top is not None:
        inner = [d for d in top.findall("default") if d.get("class") == "/"]
        for d in inner:
            idx = list(top).index(d)
            top.remove(d)
            for k, child in enumerate(list(d)):
                top.insert(idx + k, child)
    for el in tree.iter():
        if el.get("class") == "/":
            del el.attrib["class"]
    ET.indent(tree, "  ")
    return ET.tostring(tree, encoding="unicode") + "\n"


def write_humanoid(root, xml_path: str | Path) -> Path:
    """Write the model and its asset files beside ``xml_path``; each file atomically, the XML last.

    The folder of ``xml_path`` may hold other files; only the XML and its assets are (re)written.
    """
    xml_path = Path(xml_path)
    for name, payload in root.get_assets().items():
        with atomic_path(xml_path.parent / name) as tmp:
            tmp.write_bytes(payload if isinstance(payload, bytes) else str(payload).encode())
    write_text(xml_path, to_standalone_xml(root))
    return xml_path


def load_model(xml_path: str | Path) -> mujoco.MjModel:
    """Compile a humanoid written by :func:`write_humanoid`."""
    return mujoco.MjModel.from_xml_path(str(xml_path))


def model_from_root(root) -> mujoco.MjModel:
    """Compile an mjcf root element in memory."""
    return mujoco.MjModel.from_xml_string(root.to_xml_string(), root.get_assets())


def joint_qpos_indices(model: mujoco.MjModel) -> np.ndarray:
    """qpos addresses of :data:`JOINT_NAMES` (checks the order is the documented one)."""
    adr = np.array([model.joint(n).qposadr[0] for n in JOINT_NAMES])
    if not np.array_equal(adr, np.arange(7, 7 + len(JOINT_NAMES))):
        raise ValueError(f"unexpected humanoid joint order: {adr}")
    return adr


def joint_ranges_rad(model: mujoco.MjModel) -> np.ndarray:
    """(21, 2) joint ranges in radians in :data:`JOINT_NAMES` order."""
    return np.array([model.joint(n).range for n in JOINT_NAMES], dtype=float)


def joint_centres(model: mujoco.MjModel, data: mujoco.MjData) -> dict[str, np.ndarray]:
    """World positions of the humanoid hip/knee/ankle centres (after kinematics)."""
    out = {}
    for name, (kind, obj) in JOINT_CENTRES.items():
        out[name] = data.xpos[model.body(obj).id].copy() if kind == "body" else data.xanchor[model.joint(obj).id].copy()
    return out


def leg_length(model: mujoco.MjModel) -> float:
    """Hip-knee plus knee-ankle centre distance of the right leg in the neutral pose (m)."""
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    c = joint_centres(model, data)
    return float(np.linalg.norm(c["hip_r"] - c["knee_r"]) + np.linalg.norm(c["knee_r"] - c["ankle_r"]))


def kinematics_frames(model: mujoco.MjModel, qpos: np.ndarray, com: bool = False):
    """Forward kinematics of each row of ``qpos`` (T, nq): yields ``(t, data)`` with ``data`` (one MjData,
    reused) holding body/joint positions of frame ``t`` (and, with ``com``, the subtree centres of mass)."""
    data = mujoco.MjData(model)
    for t in range(qpos.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        if com:
            mujoco.mj_comPos(model, data)
        yield t, data


def body_positions(model: mujoco.MjModel, qpos: np.ndarray, body_names) -> np.ndarray:
    """World positions (T, B, 3) of ``body_names`` for each qpos frame."""
    ids = [model.body(n).id for n in body_names]
    out = np.zeros((qpos.shape[0], len(ids), 3))
    for t, data in kinematics_frames(model, qpos):
        out[t] = data.xpos[ids]
    return out


def forward_kinematics(model: mujoco.MjModel, qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World body positions (T, nbody, 3) and whole-body centre of mass (T, 3) for each qpos row."""
    xpos = np.empty((qpos.shape[0], model.nbody, 3))
    com = np.empty((qpos.shape[0], 3))
    for t, data in kinematics_frames(model, qpos, com=True):
        xpos[t] = data.xpos
        com[t] = data.subtree_com[1]
    return xpos, com


def lowest_foot_z(model: mujoco.MjModel, qpos: np.ndarray) -> float:
    """Height (m) of the lowest point of the foot geoms (capsule or sphere radius below their centres) in the
    pose ``qpos`` (nq,); 0.0 for a model without foot geoms."""
    _, data = next(kinematics_frames(model, np.asarray(qpos)[None]))
    foot = [i for i in range(model.ngeom) if "foot" in (mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, i) or "")]
    return float(min(data.geom_xpos[i, 2] - model.geom_size[i, 0] for i in foot)) if foot else 0.0


def body_names(model: mujoco.MjModel) -> list[str]:
    """Names of the model's bodies in id order, world excluded (the order of a rollout's ``body_xpos``)."""
    return [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, i) for i in range(1, model.nbody)]
