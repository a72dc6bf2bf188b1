"""The built-in full-body skeletal OpenSim model (no muscles), built through the OpenSim API.

Coordinates, axes and signs follow gait2392 (legs, pelvis, lumbar; checked against
``gait2392_thelen2003muscle.osim``) and Rajagopal 2015 (arms):

- ``ground_pelvis``: rotations Z (pelvis_tilt), X (pelvis_list), Y (pelvis_rotation), then translations
  X, Y, Z (pelvis_tx/ty/tz), as in gait2392. The pelvis origin is the mid-point of the hip joint centres.
  Unlike gait2392, the pelvis axes are the ISB / Plug-in Gait pelvis's (the ASIS-PSIS line is level at
  pelvis_tilt 0), so pelvis tilt and hip flexion read as a gait lab's; signs stay OpenSim's: pelvis_tilt
  is positive POSTERIOR (Plug-in Gait's anterior tilt is -pelvis_tilt) and pelvis_list positive when the
  right side drops (Plug-in Gait's right pelvic obliquity is -pelvis_list). The default pose is upright
  standing (:func:`gaitmimic.opensim.model.layout.standing_pose_deg`: about 11 deg anterior tilt).
- ``hip_r``: Z hip_flexion_r (+ = flexion), X hip_adduction_r, Y hip_rotation_r; ``hip_l`` uses -X and -Y
  so adduction and internal rotation are positive on both sides.
- ``knee_r/l``: a plain hinge about Z; ``knee_angle`` is NEGATIVE in flexion (gait2392, range -120..10 deg).
  Unlike gait2392 the knee has no coupled translation (the tibia does not slide on the femur).
- ``ankle``, ``subtalar``, ``mtp``: hinges about gait2392's (oblique) axes; ankle_angle + = dorsiflexion,
  subtalar_angle + = inversion, mtp_angle + = toe extension.
- ``back``: Z lumbar_extension, X lumbar_bending, Y lumbar_rotation at the omphalion level; the head is
  part of the torso.
- ``shoulder_r/l``: Z arm_flex, X arm_add (-X on the left), Y arm_rot (-Y on the left) as Rajagopal;
  ``elbow_r/l``: hinge about Z, elbow_flex + = flexion. The hand is part of the forearm body.

Masses, centres of mass and inertias: de Leva (1996), see :mod:`gaitmimic.opensim.model.anthropometry`.
Ranges of motion are anatomical limits for gait (not clamped, so IK never sticks to a limit).
"""

from __future__ import annotations

import math
from pathlib import Path

from gaitmimic.atomic import atomic_path
from gaitmimic.opensim.model.anthropometry import segment_inertia
from gaitmimic.opensim.model.layout import SIDES, Layout, build_layout, pelvis_point, standing_pose_deg
from gaitmimic.opensim.model.plugin_gait_markers import MODEL_MARKERS

#: gait2392's oblique joint axes (right side; the left mirrors X and Y components: (-x, -y, z)).
ANKLE_AXIS_R = (-0.105014, -0.174022, 0.979126)
SUBTALAR_AXIS_R = (0.78718, 0.604747, -0.120949)
MTP_AXIS_R = (-0.580954, 0.0, 0.813936)

#: Ranges of motion (degrees) per coordinate (without side suffix).
ROM_DEG: dict[str, tuple[float, float]] = {
    "pelvis_tilt": (-90, 90),
    "pelvis_list": (-90, 90),
    "pelvis_rotation": (-90, 90),
    "hip_flexion": (-30, 120),
    "hip_adduction": (-50, 30),
    "hip_rotation": (-40, 40),
    "knee_angle": (-120, 10),
    "ankle_angle": (-40, 30),
    "subtalar_angle": (-20, 20),
    "mtp_angle": (-30, 60),
    "lumbar_extension": (-90, 90),
    "lumbar_bending": (-90, 90),
    "lumbar_rotation": (-90, 90),
    "arm_flex": (-90, 90),
    "arm_add": (-120, 90),
    "arm_rot": (-90, 90),
    "elbow_flex": (0, 150),
}
#: Translation ranges (m) of the pelvis.
PELVIS_TRANSLATION_RANGE_M = {"pelvis_tx": (-50.0, 50.0), "pelvis_ty": (-1.0, 3.0), "pelvis_tz": (-50.0, 50.0)}


def coordinate_names() -> list[str]:
    """All coordinate names of the built-in model, in model order."""
    names = ["pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_tx", "pelvis_ty", "pelvis_tz"]
    for s in SIDES:
        names += [f"hip_flexion_{s}", f"hip_adduction_{s}", f"hip_rotation_{s}", f"knee_angle_{s}"]
        names += [f"ankle_angle_{s}", f"subtalar_angle_{s}", f"mtp_angle_{s}"]
    names += ["lumbar_extension", "lumbar_bending", "lumbar_rotation"]
    for s in SIDES:
        names += [f"arm_flex_{s}", f"arm_add_{s}", f"arm_rot_{s}", f"elbow_flex_{s}"]
    return names


def _mirror_axis(axis, side):
    return axis if side == "r" else (-axis[0], -axis[1], axis[2])


def _inertia_body(osim, name, mass, com, ixx, iyy, izz, tilt_deg: float = 0.0):
    """A body with principal moments (ixx, iyy, izz) about axes rotated by ``tilt_deg`` about z."""
    a = math.radians(tilt_deg)
    c, s = math.cos(a), math.sin(a)
    xx, yy, xy = c * c * ixx + s * s * iyy, s * s * ixx + c * c * iyy, c * s * (ixx - iyy)
    return osim.Body(name, mass, osim.Vec3(*com), osim.Inertia(xx, yy, izz, xy, 0.0, 0.0))


def _independent_axes(axes: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Complete 1-3 rotation axes to three independent ones (OpenSim rejects collinear unused axes)."""
    import numpy as np

    out = [np.asarray(a, float) / np.linalg.norm(a) for a in axes]
    if len(out) == 1:
        a = out[0]
        e = np.eye(3)[int(np.argmin(np.abs(a)))]
        b = np.cross(a, e)
        b /= np.linalg.norm(b)
        out += [b, np.cross(a, b)]
    return [tuple(float(x) for x in v) for v in out]


def _custom_joint(osim, name, parent, loc_in_parent, child, rotations, translations=()):
    """A CustomJoint with ``rotations``/``translations`` = [(coordinate, axis)], each LinearFunction(1, 0)."""
    st = osim.SpatialTransform()
    rot_axes = _independent_axes([axis for _, axis in rotations])
    for i, axis in enumerate(rot_axes):
        st.updTransformAxis(i).setAxis(osim.Vec3(*axis))
    for i, (coord, _) in enumerate(rotations):
        _drive(osim, st.updTransformAxis(i), coord)
    for i, (coord, axis) in enumerate(translations):
        st.updTransformAxis(3 + i).setAxis(osim.Vec3(*axis))
        _drive(osim, st.updTransformAxis(3 + i), coord)
    zero = osim.Vec3(0.0)
    joint = osim.CustomJoint(name, parent, osim.Vec3(*loc_in_parent), zero, child, zero, zero, st)
    return joint


def _drive(osim, transform_axis, coordinate: str) -> None:
    names = osim.ArrayStr()  # NB: osim.ArrayStr(value, size) segfaults in opensim 4.6
    names.append(coordinate)
    transform_axis.setCoordinateNames(names)
    transform_axis.set_function(osim.LinearFunction(1.0, 0.0))


def _set_ranges(joint, default_values: dict[str, float] | None = None) -> None:
    joint.finalizeFromProperties()  # creates the coordinates from the SpatialTransform
    for i in range(joint.numCoordinates()):
        c = joint.upd_coordinates(i)
        name = c.getName()
        if name in PELVIS_TRANSLATION_RANGE_M:
            lo, hi = PELVIS_TRANSLATION_RANGE_M[name]
        else:
            base = name[:-2] if name.endswith(("_r", "_l")) else name
            lo, hi = (math.radians(v) for v in ROM_DEG[base])
        c.setRangeMin(lo)
        c.setRangeMax(hi)
        c.setDefaultClamped(False)
        c.setDefaultValue((default_values or {}).get(name, 0.0))


def _bodies(osim, lay: Layout, mass_kg: float) -> dict:
    """Create every body with de Leva mass properties (frames as in :mod:`gaitmimic.opensim.model.layout`)."""
    H = lay.height_m
    seg = {n: segment_inertia(n, H, mass_kg) for n in ("head", "upper_trunk", "middle_trunk", "lower_trunk",
                                                       "upper_arm", "forearm", "hand", "thigh", "shank", "foot")}
    bodies = {}
    # Pelvis = de Leva's lower trunk (OMPH -> MIDH); origin at MIDH, CoM measured down from OMPH; its
    # principal axes are those of upright standing, which the ISB pelvis frame sees rotated posteriorly.
    lt = seg["lower_trunk"]
    tilt = -standing_pose_deg()["pelvis_tilt"]
    bodies["pelvis"] = _inertia_body(osim, "pelvis", lt.mass_kg, pelvis_point((0, lt.length_m - lt.com_from_proximal_m, 0)),
                                     lt.i_transverse, lt.i_longitudinal, lt.i_sagittal, tilt_deg=tilt)
    # Torso = upper + middle trunk + head, combined about their joint CoM (parallel axis theorem, along Y).
    L = lay.lengths
    parts = [
        (seg["middle_trunk"], L["middle_trunk"] - seg["middle_trunk"].com_from_proximal_m),
        (seg["upper_trunk"], L["middle_trunk"] + L["upper_trunk"] - seg["upper_trunk"].com_from_proximal_m),
        (seg["head"], L["middle_trunk"] + L["upper_trunk"] + L["head"] - seg["head"].com_from_proximal_m),
    ]
    m_t = sum(p.mass_kg for p, _ in parts)
    y_t = sum(p.mass_kg * y for p, y in parts) / m_t
    ixx = sum(p.i_transverse + p.mass_kg * (y - y_t) ** 2 for p, y in parts)
    izz = sum(p.i_sagittal + p.mass_kg * (y - y_t) ** 2 for p, y in parts)
    iyy = sum(p.i_longitudinal for p, _ in parts)
    bodies["torso"] = _inertia_body(osim, "torso", m_t, (0, y_t, 0), ixx, iyy, izz)

    foot = seg["foot"]
    lf, ha = L["foot"], lay.dims["ankle_height"]
    for s in SIDES:
        th, sh = seg["thigh"], seg["shank"]
        bodies[f"femur_{s}"] = _inertia_body(osim, f"femur_{s}", th.mass_kg, (0, -th.com_from_proximal_m, 0),
                                             th.i_transverse, th.i_longitudinal, th.i_sagittal)
        bodies[f"tibia_{s}"] = _inertia_body(osim, f"tibia_{s}", sh.mass_kg, (0, -sh.com_from_proximal_m, 0),
                                             sh.i_transverse, sh.i_longitudinal, sh.i_sagittal)
        # Foot split 10 % talus, 75 % calcaneus + midfoot, 15 % toes; moments scaled by mass share.
        sub = lay.joint_in_parent[f"subtalar_{s}"]
        com_talus = (-0.22 * lf + foot.com_from_proximal_m, -0.5 * ha, 0.0)  # de Leva CoM, talus frame
        for name, share, com in (
            (f"talus_{s}", 0.10, (0.0, 0.0, 0.0)),
            (f"calcn_{s}", 0.75, tuple(c - o for c, o in zip(com_talus, sub))),
            (f"toes_{s}", 0.15, (0.1 * lf, -0.1 * ha, 0.0)),
        ):
            bodies[name] = _inertia_body(osim, name, share * foot.mass_kg, com, share * foot.i_longitudinal,
                                         share * foot.i_transverse, share * foot.i_sagittal)
        ua = seg["upper_arm"]
        bodies[f"humerus_{s}"] = _inertia_body(osim, f"humerus_{s}", ua.mass_kg, (0, -ua.com_from_proximal_m, 0),
                                               ua.i_transverse, ua.i_longitudinal, ua.i_sagittal)
        fa, hd = seg["forearm"], seg["hand"]
        y_fa, y_hd = -fa.com_from_proximal_m, -(L["forearm"] + hd.com_from_proximal_m)
        m_f = fa.mass_kg + hd.mass_kg
        y_f = (fa.mass_kg * y_fa + hd.mass_kg * y_hd) / m_f
        par = fa.mass_kg * (y_fa - y_f) ** 2 + hd.mass_kg * (y_hd - y_f) ** 2
        bodies[f"forearm_{s}"] = _inertia_body(osim, f"forearm_{s}", m_f, (0, y_f, 0),
                                               fa.i_transverse + hd.i_transverse + par,
                                               fa.i_longitudinal + hd.i_longitudinal,
                                               fa.i_sagittal + hd.i_sagittal + par)
    return bodies


def build_osim_model(height_m: float, mass_kg: float, name: str = "gaitmimic_builtin"):
    """Build the built-in model in memory and return the ``opensim.Model`` (system not initialised)."""
    import opensim as osim

    if not 20.0 < mass_kg < 300.0:
        raise ValueError(f"mass_kg={mass_kg} is not a human body mass in kilograms")
    lay = build_layout(height_m)
    model = osim.Model()
    model.setName(name)
    model.setGravity(osim.Vec3(0.0, -9.80665, 0.0))
    bodies = _bodies(osim, lay, mass_kg)
    for b in bodies.values():
        model.addBody(b)
    ground = model.getGround()
    J = lay.joint_in_parent
    stand = {c: math.radians(v) for c, v in standing_pose_deg().items()}
    joints = [
        (_custom_joint(osim, "ground_pelvis", ground, (0, 0, 0), bodies["pelvis"],
                       [("pelvis_tilt", (0, 0, 1)), ("pelvis_list", (1, 0, 0)), ("pelvis_rotation", (0, 1, 0))],
                       [("pelvis_tx", (1, 0, 0)), ("pelvis_ty", (0, 1, 0)), ("pelvis_tz", (0, 0, 1))]),
         {"pelvis_ty": lay.default_pelvis_height_m, "pelvis_tilt": stand["pelvis_tilt"]}),
    ]
    arms = []
    for s in SIDES:
        sgn = 1.0 if s == "r" else -1.0
        joints += [
            (_custom_joint(osim, f"hip_{s}", bodies["pelvis"], J[f"hip_{s}"], bodies[f"femur_{s}"],
                           [(f"hip_flexion_{s}", (0, 0, 1)), (f"hip_adduction_{s}", (sgn, 0, 0)),
                            (f"hip_rotation_{s}", (0, sgn, 0))]), {f"hip_flexion_{s}": stand[f"hip_flexion_{s}"]}),
            (_custom_joint(osim, f"knee_{s}", bodies[f"femur_{s}"], J[f"knee_{s}"], bodies[f"tibia_{s}"],
                           [(f"knee_angle_{s}", (0, 0, 1))]), None),
            (_custom_joint(osim, f"ankle_{s}", bodies[f"tibia_{s}"], J[f"ankle_{s}"], bodies[f"talus_{s}"],
                           [(f"ankle_angle_{s}", _mirror_axis(ANKLE_AXIS_R, s))]), None),
            (_custom_joint(osim, f"subtalar_{s}", bodies[f"talus_{s}"], J[f"subtalar_{s}"], bodies[f"calcn_{s}"],
                           [(f"subtalar_angle_{s}", _mirror_axis(SUBTALAR_AXIS_R, s))]), None),
            (_custom_joint(osim, f"mtp_{s}", bodies[f"calcn_{s}"], J[f"mtp_{s}"], bodies[f"toes_{s}"],
                           [(f"mtp_angle_{s}", _mirror_axis(MTP_AXIS_R, s))]), None),
        ]
        arms += [
            (_custom_joint(osim, f"shoulder_{s}", bodies["torso"], J[f"shoulder_{s}"], bodies[f"humerus_{s}"],
                           [(f"arm_flex_{s}", (0, 0, 1)), (f"arm_add_{s}", (sgn, 0, 0)), (f"arm_rot_{s}", (0, sgn, 0))]),
             None),
            (_custom_joint(osim, f"elbow_{s}", bodies[f"humerus_{s}"], J[f"elbow_{s}"], bodies[f"forearm_{s}"],
                           [(f"elbow_flex_{s}", (0, 0, 1))]), None),
        ]
    back = _custom_joint(osim, "back", bodies["pelvis"], J["back"], bodies["torso"],
                         [("lumbar_extension", (0, 0, 1)), ("lumbar_bending", (1, 0, 0)), ("lumbar_rotation", (0, 1, 0))])
    joints += [(back, {"lumbar_extension": stand["lumbar_extension"]})] + arms
    for joint, defaults in joints:
        _set_ranges(joint, defaults)
        model.addJoint(joint)

    for mname, (body, loc) in lay.markers.items():
        marker = osim.Marker(mname, bodies[body], osim.Vec3(*loc))
        marker.set_fixed(MODEL_MARKERS[mname].fixed)
        model.addMarker(marker)
    model.finalizeConnections()
    return model


def build_model(height_m: float, mass_kg: float, out_osim: str | Path) -> Path:
    """Build the built-in model for a subject of ``height_m`` (m) and ``mass_kg`` (kg); write ``out_osim``.

    The file loads in OpenSim 4.x and ``initSystem()`` succeeds; see the module docstring for conventions.
    """
    out_osim = Path(out_osim)
    model = build_osim_model(height_m, mass_kg)
    model.initSystem()
    with atomic_path(out_osim) as tmp:
        model.printToXML(str(tmp))
    return out_osim
