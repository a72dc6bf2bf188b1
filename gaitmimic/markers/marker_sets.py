"""Marker sets: lab marker names -> the canonical names of a model's marker set.

Built-in sets
- ``plugin_gait``: Vicon Plug-in Gait. Canonical names are the PiG names (the builtin model's marker set):
  pelvis LASI RASI LPSI RPSI (or SACR), legs LTHI LKNE LTIB LANK LHEE LTOE (and R...), optional medial
  LMKN/LMMA (static), trunk/arms/head C7 T10 CLAV STRN RBAK LSHO LELB LWRA LWRB LFIN (and R...), LFHD RFHD LBHD RBHD.
- ``opensim_gait2354``: the marker set of OpenSim's gait2354/gait2392 examples (R.ASIS, L.ASIS, V.Sacral,
  R.Thigh.Upper, R.Knee.Lat, R.Heel, R.Toe.Tip, ...). Canonical names are those OpenSim names, which the
  gait2354/gait2392 models' marker sets use.
- ``anatomical``: ISB-style anatomical landmarks of any vendor (ASIS, PSIS, sacrum, iliac crest, greater
  trochanter, lateral/medial epicondyle, tibial tuberosity, fibula head, lateral/medial malleolus, heel,
  MT1/MT2/MT5) in their usual spellings (``L.ASIS``, ``L_ASIS``, ``LASIS``, ``l_asis``, ``R_KNEE_MED``, ...),
  canonical names Plug-in Gait's where it has the landmark (LASI, LMKN, LTOE = MT2, ...) and LGTR, LILC, LTT,
  LFH, LMT1, LMT5, SACR otherwise: the built-in model carries them all. Other labels (clusters such as
  ``R_THIGH_1..4``) are kept under their own names; the scale stage attaches them to their segments.

A trial's set is detected from its labels (the set with the most matching names). A subject may override
names with ``{lab_name: canonical_name}`` (``lab_to_model_markers`` in subject.yaml; ``""`` or ``None`` drops
a marker). Markers outside the set are
dropped (kept, for the anatomical set). Required markers (pelvis, thighs, shanks, feet) missing -> :class:`InputError` listing them.

Each set also names marker *roles* used by orientation and event detection (``pelvis_front``,
``pelvis_back``, ``heel_r``, ``toe_r``, ``heel_l``, ``toe_l``, ``head``) in canonical names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import MarkerTrial

__all__ = ["MarkerSet", "MARKER_SETS", "ANATOMICAL", "detect_marker_set", "map_markers", "role_markers", "canonical_name"]


@dataclass(frozen=True)
class MarkerSet:
    """A marker set: canonical names, lab aliases, required groups and landmark roles.

    ``required``: each entry is a tuple of alternatives, each alternative a tuple of names that must all be
    present (e.g. pelvis back = (LPSI, RPSI) or (SACR,)). ``spell``: an optional function from a lab label to
    its canonical name (or None), tried after the aliases: the many spellings of one landmark. ``keep_unknown``:
    labels the set does not name are kept under their own names (clusters, extra markers: the scale stage
    attaches them to the segment they ride on) instead of being dropped.
    """

    name: str
    canonical: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    required: tuple[tuple[tuple[str, ...], ...], ...] = ()
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spell: Callable[[str], str | None] | None = None
    keep_unknown: bool = False


def _lr(*names: str) -> list[str]:
    return [s + n for s in ("L", "R") for n in names]


_PIG_LEGS = _lr("ASI", "PSI", "THI", "KNE", "TIB", "ANK", "HEE", "TOE", "MKN", "MMA")
_PIG_UPPER = ["C7", "T10", "CLAV", "STRN", "RBAK", "SACR"] + _lr("SHO", "ELB", "WRA", "WRB", "FIN", "FHD", "BHD",
                                                                    "UPA", "FRM")
PLUGIN_GAIT = MarkerSet(
    name="plugin_gait",
    canonical=tuple(_PIG_LEGS + _PIG_UPPER),
    aliases={"LKNM": "LMKN", "RKNM": "RMKN", "LMED": "LMMA", "RMED": "RMMA", "LANM": "LMMA", "RANM": "RMMA",
             "LKNEM": "LMKN", "RKNEM": "RMKN", "LANKM": "LMMA", "RANKM": "RMMA"},
    required=(
        (("LASI",),), (("RASI",),), (("LPSI", "RPSI"), ("SACR",)),
        (("LTHI",),), (("LKNE",),), (("LTIB",),), (("LANK",),), (("LHEE",),), (("LTOE",),),
        (("RTHI",),), (("RKNE",),), (("RTIB",),), (("RANK",),), (("RHEE",),), (("RTOE",),),
    ),
    roles={"pelvis_front": ("LASI", "RASI"), "pelvis_back": ("LPSI", "RPSI", "SACR"),
           "heel_l": ("LHEE",), "toe_l": ("LTOE",), "heel_r": ("RHEE",), "toe_r": ("RTOE",),
           "head": ("LFHD", "RFHD", "LBHD", "RBHD", "C7", "CLAV")},
)

_OS_SIDE = ["Thigh.Upper", "Thigh.Front", "Thigh.Rear", "Knee.Lat", "Knee.Med", "Shank.Upper", "Shank.Front",
            "Shank.Rear", "Ankle.Lat", "Ankle.Med", "Heel", "Midfoot.Sup", "Midfoot.Lat", "Toe.Lat", "Toe.Med",
            "Toe.Tip", "Acromium", "Bicep", "Elbow", "Wrist.Med", "Wrist.Lat", "Temple", "ASIS"]
OPENSIM_GAIT2354 = MarkerSet(
    name="opensim_gait2354",
    canonical=tuple(["Sternum", "Top.Head", "V.Sacral"] + [f"{s}.{n}" for s in ("R", "L") for n in _OS_SIDE]),
    aliases={"R.Acromion": "R.Acromium", "L.Acromion": "L.Acromium", "Sacral": "V.Sacral"},
    required=tuple([(("R.ASIS",),), (("L.ASIS",),), (("V.Sacral",),)]
                   + [((f"{s}.Thigh.Upper",), (f"{s}.Thigh.Front",), (f"{s}.Thigh.Rear",)) for s in "RL"]
                   + [((f"{s}.Shank.Upper",), (f"{s}.Shank.Front",), (f"{s}.Shank.Rear",)) for s in "RL"]
                   + [((f"{s}.Heel",),) for s in "RL"] + [((f"{s}.Toe.Tip",),) for s in "RL"]),
    roles={"pelvis_front": ("L.ASIS", "R.ASIS"), "pelvis_back": ("V.Sacral",),
           "heel_l": ("L.Heel",), "toe_l": ("L.Toe.Tip",), "heel_r": ("R.Heel",), "toe_r": ("R.Toe.Tip",),
           "head": ("Top.Head", "R.Temple", "L.Temple", "Sternum", "R.Acromium", "L.Acromium")},
)

#: Anatomical landmarks (ISB-style sets of any vendor, with or without clusters): the canonical base name of
#: each landmark and its usual spellings (upper case, separators removed). Canonical names are Plug-in
#: Gait's where Plug-in Gait has the landmark (LASI, LKNE, LANK, LHEE, LTOE = 2nd metatarsal head, ...),
#: so the built-in model and its tables serve both sets.
_ANATOMICAL_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ASI": ("ASIS", "ASI", "ANTSUPILIACSPINE"),
    "PSI": ("PSIS", "PSI", "POSTSUPILIACSPINE"),
    "KNE": ("KNEE", "KNE", "KNEELAT", "KNEELATERAL", "LATKNEE", "LATERALKNEE", "LFE", "FLE", "LATEPICONDYLE",
            "LATERALEPICONDYLE", "LEPI"),
    "MKN": ("KNEEMED", "KNEEMEDIAL", "MEDKNEE", "MEDIALKNEE", "MKN", "KNM", "MFE", "FME", "MEDEPICONDYLE",
            "MEDIALEPICONDYLE", "MEPI"),
    "ANK": ("ANKLE", "ANK", "ANKLELAT", "ANKLELATERAL", "LATANKLE", "LATERALANKLE", "LMAL", "LM", "FAL",
            "LATMALLEOLUS", "LATERALMALLEOLUS"),
    "MMA": ("ANKLEMED", "ANKLEMEDIAL", "MEDANKLE", "MEDIALANKLE", "MMAL", "MM", "MMA", "TAM", "MEDMALLEOLUS",
            "MEDIALMALLEOLUS"),
    "HEE": ("HEEL", "HEE", "CAL", "CALC", "CALCANEUS", "FCC"),
    "TOE": ("TOE", "MT2", "MET2", "MTH2", "SMH", "M2"),
    "MT1": ("MT1", "MET1", "MTH1", "FMH", "M1"),
    "MT5": ("MT5", "MET5", "MTH5", "VMH", "M5"),
    "GTR": ("GTR", "TROCH", "TROCHANTER", "GREATERTROCHANTER", "GT", "FTC"),
    "ILC": ("ILIAC", "ILIACCREST", "ILC", "IC", "CREST"),
    "TT": ("TT", "TIBTUB", "TIBIALTUBEROSITY", "TTC"),
    "FH": ("FH", "HF", "FIBHEAD", "FIBULAHEAD", "FIBULARHEAD"),
}
_ANATOMICAL_CENTRAL: dict[str, tuple[str, ...]] = {"SACR": ("SACRUM", "SACR", "SACRAL", "VSACRAL", "MPSIS")}
_SPELLING_TO_BASE = {sp: base for base, sps in _ANATOMICAL_SPELLINGS.items() for sp in sps}
_CENTRAL_TO_NAME = {sp: name for name, sps in _ANATOMICAL_CENTRAL.items() for sp in sps}
_SIDE_WORDS = (("LEFT", "L"), ("RIGHT", "R"), ("L", "L"), ("R", "R"))


def _anatomical_name(label: str) -> str | None:
    """``L.ASIS``, ``L_ASIS``, ``LASIS``, ``l_asis``, ``Left ASIS``, ``ASIS_L``, ``R.Knee.Medial`` -> LASI, RMKN;
    ``SACRUM``, ``V.Sacral`` -> SACR; anything else None."""
    up = label.upper()
    flat = re.sub(r"[^A-Z0-9]", "", up)
    if flat in _CENTRAL_TO_NAME:
        return _CENTRAL_TO_NAME[flat]
    for word, side in _SIDE_WORDS:
        for rest in (flat[len(word):] if flat.startswith(word) else None,
                     flat[:-len(word)] if flat.endswith(word) and re.search(r"[^A-Z0-9]" + word + "$", up) else None):
            if rest and rest in _SPELLING_TO_BASE:
                return side + _SPELLING_TO_BASE[rest]
    return None


def _lr_base(*bases: str) -> list[str]:
    return [s + b for s in ("L", "R") for b in bases]


ANATOMICAL = MarkerSet(
    name="anatomical",
    canonical=tuple(_lr_base(*_ANATOMICAL_SPELLINGS) + list(_ANATOMICAL_CENTRAL)),
    required=(
        (("LASI",),), (("RASI",),), (("LPSI", "RPSI"), ("SACR",)),
        (("LHEE",),), (("LTOE",), ("LMT1",), ("LMT5",)), (("RHEE",),), (("RTOE",), ("RMT1",), ("RMT5",)),
    ),
    roles={"pelvis_front": ("LASI", "RASI"), "pelvis_back": ("LPSI", "RPSI", "SACR"),
           "heel_l": ("LHEE",), "toe_l": ("LTOE", "LMT1", "LMT5"), "heel_r": ("RHEE",), "toe_r": ("RTOE", "RMT1", "RMT5"),
           "head": ()},
    spell=_anatomical_name,
    keep_unknown=True,
)

MARKER_SETS: dict[str, MarkerSet] = {s.name: s for s in (PLUGIN_GAIT, OPENSIM_GAIT2354, ANATOMICAL)}


def canonical_name(label: str, mset: MarkerSet, overrides: dict[str, str | None] | None = None) -> str | None:
    """The canonical name of lab ``label`` in ``mset`` (``None``: not part of the set, dropped)."""
    return _resolve(label, mset, overrides or {})


def _resolve(label: str, mset: MarkerSet, overrides: dict[str, str | None]) -> str | None:
    if label in overrides:
        return overrides[label] or None
    if label in mset.canonical:
        return label
    if label in mset.aliases:
        return mset.aliases[label]
    up = label.upper()
    for c in mset.canonical:  # case-insensitive match
        if c.upper() == up:
            return c
    return mset.spell(label) if mset.spell is not None else None


def detect_marker_set(labels: list[str], overrides: dict[str, str | None] | None = None,
                      path: str | Path | None = None) -> MarkerSet:
    """The built-in set matching the most ``labels``; :class:`InputError` when none matches 4 names."""
    overrides = overrides or {}
    scores = {name: len({_resolve(lab, s, overrides) for lab in labels} - {None}) for name, s in MARKER_SETS.items()}
    # a tie goes to the set listed first (Plug-in Gait, then OpenSim's, then the anatomical landmarks)
    best = max(scores, key=scores.get)
    if scores[best] < 4:
        raise InputError(path, f"marker names {labels[:12]}... match no known marker set "
                               f"(matches: {scores})",
                         "add lab_to_model_markers in data/<subject>/subject.yaml mapping your names to Plug-in Gait "
                         "names, or set markers.marker_set in config")
    return MARKER_SETS[best]


def map_markers(trial: MarkerTrial, marker_set: str = "auto", overrides: dict[str, str | None] | None = None,
                ) -> tuple[MarkerTrial, MarkerSet]:
    """Keep and rename the markers of ``trial`` to the canonical names of its marker set.

    Returns ``(mapped_trial, marker_set)``. Labels in canonical order of first appearance in the trial.
    Raises :class:`InputError` naming the file and the missing required markers. A required marker that
    is present but never has data (all NaN) counts as missing.
    """
    overrides = dict(overrides or {})
    path = trial.source
    if marker_set == "auto":
        mset = detect_marker_set(trial.labels, overrides, path)
    else:
        if marker_set not in MARKER_SETS:
            raise InputError(path, f"unknown marker set {marker_set!r}", f"use one of auto, {', '.join(MARKER_SETS)}")
        mset = MARKER_SETS[marker_set]
    src, dst = [], []
    for lab in trial.labels:
        can = _resolve(lab, mset, overrides)
        if can is None and mset.keep_unknown and not (lab in overrides and not overrides[lab]):
            can = lab if lab not in mset.canonical else None
        if can is None or can in dst:
            continue
        src.append(lab)
        dst.append(can)
    mapped = trial.select(src, dst)
    present = {lab for lab in dst if np.isfinite(mapped.marker(lab)).any()}
    missing = []
    for alternatives in mset.required:
        if not any(all(n in present for n in alt) for alt in alternatives):
            missing.append(" or ".join("+".join(alt) for alt in alternatives))
    if missing:
        wanted = {n for alternatives in mset.required for alt in alternatives for n in alt}
        empty = sorted((set(dst) - present) & wanted)  # labelled in the file, but every sample is a gap
        problem = f"required markers missing for marker set {mset.name}: {', '.join(missing)}"
        if empty:
            problem += (f"; of these, {', '.join(empty)} {'is' if len(empty) == 1 else 'are'} labelled in the file "
                        "but without a single valid sample (every frame a gap)")
        raise InputError(path, problem,
                         "check the marker labels (map lab names with lab_to_model_markers in "
                         "data/<subject>/subject.yaml), re-label the trial, or fill the empty trajectories in "
                         "the capture software" if empty else
                         "check the marker labels (map lab names with lab_to_model_markers in "
                         "data/<subject>/subject.yaml) or re-label the trial")
    return mapped, mset


def role_markers(trial: MarkerTrial, mset: MarkerSet, role: str) -> np.ndarray:
    """Mean trajectory (n_frames, 3) of the markers of ``role`` present in ``trial`` (NaN where none)."""
    names = [n for n in mset.roles.get(role, ()) if trial.has(n)]
    if not names:
        return np.full((trial.n_frames, 3), np.nan)
    stack = np.stack([trial.marker(n) for n in names])
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(stack, axis=0)
