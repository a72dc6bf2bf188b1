"""Marker sets: lab marker names -> the canonical names of a model's marker set.

A marker set is data: a YAML table (:func:`load_marker_set`; the built-in ones in
``gaitmimic/markers/sets/``), and a lab's own table beside its subject (``data/<subject>/marker_set.yaml``,
a candidate of the detection, first in ties) or named in the config (``markers.marker_set: path.yaml``).

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

A trial's set is detected from its labels (the set with the most matching names; the marker stage's report
says which, and the labels it does not name). A subject may override
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
from typing import Callable, Sequence

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import MarkerTrial

__all__ = ["MarkerSet", "MarkerSpec", "MARKER_SETS", "ANATOMICAL", "load_marker_set", "BUILTIN_TABLES", "detect_marker_set", "map_markers", "role_markers", "canonical_name"]


@dataclass(frozen=True)
class MarkerSpec:
    """Where a marker of a table rides: its ``body`` (a body of the model), whether it is a bony landmark
    (``fixed``: kept where the model puts it by OpenSim's marker placement; wand and skin markers are moved
    onto the subject's static pose) and the ``landmark`` in words."""

    body: str
    fixed: bool
    landmark: str = ""


@dataclass(frozen=True)
class MarkerSet:
    """A marker set: canonical names, lab aliases, required groups and landmark roles.

    ``required``: each entry is a tuple of alternatives, each alternative a tuple of names that must all be
    present (e.g. pelvis back = (LPSI, RPSI) or (SACR,)). ``spell``: an optional function from a lab label to
    its canonical name (or None), tried after the aliases: the many spellings of one landmark. ``keep_unknown``:
    labels the set does not name are kept under their own names (clusters, extra markers: the scale stage
    attaches them to the segment they ride on) instead of being dropped. ``markers``: canonical name ->
    :class:`MarkerSpec` (body, bony, landmark) for the markers the table places; ``source``: the table's file.
    """

    name: str
    canonical: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    required: tuple[tuple[tuple[str, ...], ...], ...] = ()
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spell: Callable[[str], str | None] | None = None
    keep_unknown: bool = False
    markers: dict[str, MarkerSpec] = field(default_factory=dict)
    source: str | None = None


#: The built-in tables (``gaitmimic/markers/sets/<name>.yaml``), in the order that breaks detection ties.
BUILTIN_TABLES = ("plugin_gait", "opensim_gait2354", "anatomical")
_SETS_DIR = Path(__file__).with_name("sets")
_SIDE_WORDS = {"L": ("LEFT", "L"), "R": ("RIGHT", "R")}
_SIDE_NAMES = {"L": "left", "R": "right"}
ROLES = ("pelvis_front", "pelvis_back", "heel_l", "toe_l", "heel_r", "toe_r")


def _speller(spellings: dict[str, list[str]], central: dict[str, list[str]], sides: list[str], fmt: str):
    """A lab label -> canonical name function for landmark ``spellings``: a side word (L, R, Left, Right)
    before or after the landmark, any separators and case (``L.ASIS``, ``L_ASIS``, ``LASIS``, ``l_asis``,
    ``Left ASIS``, ``ASIS_L``, ``R.Knee.Medial``); ``central`` landmarks have no side (``SACRUM``)."""
    to_base = {sp.upper(): base for base, sps in spellings.items() for sp in sps}
    to_central = {sp.upper(): name for name, sps in central.items() for sp in sps}
    words = [(w, side) for side in sides for w in _SIDE_WORDS.get(side.upper(), (side.upper(),))]
    words.sort(key=lambda ws: -len(ws[0]))                       # LEFT before L

    def spell(label: str) -> str | None:
        up = label.upper()
        flat = re.sub(r"[^A-Z0-9]", "", up)
        if flat in to_central:
            return to_central[flat]
        for word, side in words:
            for rest in (flat[len(word):] if flat.startswith(word) else None,
                         flat[:-len(word)] if flat.endswith(word) and re.search(r"[^A-Z0-9]" + word + "$", up) else None):
                if rest and rest in to_base:
                    return fmt.format(side=side, name=to_base[rest])
        return None

    return spell


def load_marker_set(path: str | Path) -> MarkerSet:
    """A marker-set table (YAML): ``name``; canonical names from ``bilateral`` (formatted by ``name_format``
    with each of ``sides``) and ``central``, or from ``spellings`` (landmark -> its spellings) and
    ``central_spellings``; ``aliases`` {lab name: canonical}; ``required`` (alternatives, each a '+'-joined
    group); ``roles`` (pelvis_front, pelvis_back, heel_l, toe_l, heel_r, toe_r, head, and toe_rise_l/_r: the
    markers whose rise marks toe off, the toe ones when not given: canonical names);
    ``keep_unknown`` (keep labels the set does not name); ``markers`` {name: {body, bony, landmark}}, where each
    marker rides (a bilateral name gives both sides: ``{s}`` in the body is l or r, ``{side}`` / ``{S}`` in the
    landmark left/right / L/R; any other name, e.g. a lab's cluster marker, is a marker of the set as written).
    A table that is not one -> :class:`InputError`."""
    import yaml

    path = Path(path)
    fix = "fix the table (see gaitmimic/markers/sets/*.yaml for the format)"
    try:
        table = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read the marker-set table ({exc})", fix) from exc
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        raise InputError(path, "a marker-set table is a YAML mapping with a 'name'", fix)
    sides, fmt = [str(x) for x in table.get("sides", ["L", "R"])], str(table.get("name_format", "{side}{name}"))
    spellings = {str(k): [str(x) for x in v] for k, v in (table.get("spellings") or {}).items()}
    central = {str(k): [str(x) for x in v] for k, v in (table.get("central_spellings") or {}).items()}
    bilateral = [str(n) for n in table.get("bilateral") or []] + list(spellings)
    canonical = [fmt.format(side=s, name=n) for s in sides for n in bilateral]
    canonical += [str(n) for n in table.get("central") or []] + list(central)
    markers = _marker_specs(table.get("markers") or {}, set(bilateral), sides, fmt, path, fix)
    canonical += [n for n in markers if n not in canonical]
    if not canonical:
        raise InputError(path, "the marker-set table names no markers (bilateral, central or spellings)", fix)
    names = set(canonical)
    aliases = {str(k): str(v) for k, v in (table.get("aliases") or {}).items()}
    required = tuple(tuple(tuple(str(alt).split("+")) for alt in entry) for entry in table.get("required") or [])
    roles = {str(k): tuple(str(n) for n in v or []) for k, v in (table.get("roles") or {}).items()}
    for s in ("l", "r"):        # the markers whose rise marks toe off: the toe markers unless the table says
        roles.setdefault(f"toe_rise_{s}", roles.get(f"toe_{s}", ()))
    missing_roles = [r for r in ROLES if not roles.get(r)]
    if missing_roles:
        raise InputError(path, f"the marker-set table gives no markers for the roles {', '.join(missing_roles)}", fix)
    used = [n for entry in required for alt in entry for n in alt] + [n for v in roles.values() for n in v] + list(aliases.values())
    unknown = sorted(set(used) - names)
    if unknown:
        raise InputError(path, f"the marker-set table's required markers, roles or aliases name markers it does not "
                         f"define: {', '.join(unknown)}", fix)
    spell = _speller(spellings, central, sides, fmt) if spellings or central else None
    return MarkerSet(name=table["name"], canonical=tuple(canonical), aliases=aliases, required=required, roles=roles,
                     spell=spell, keep_unknown=bool(table.get("keep_unknown", False)), markers=markers,
                     source=str(path))


def _marker_specs(entries: dict, bilateral: set[str], sides: list[str], fmt: str, path: Path, fix: str) -> dict[str, MarkerSpec]:
    """A table's ``markers`` section -> {canonical name: MarkerSpec}; bilateral names once per side."""
    if not isinstance(entries, dict):
        raise InputError(path, "the marker-set table's 'markers' is not a mapping of marker names", fix)
    out: dict[str, MarkerSpec] = {}
    for key, entry in entries.items():
        key = str(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), str) or not entry["body"]:
            raise InputError(path, f"marker {key} of the marker-set table has no body "
                             "(write it as {body: <a body of the model>, bony: true|false, landmark: ...})", fix)
        per_side = [(fmt.format(side=side, name=key), {"s": side[0].lower(), "S": side[0].upper(),
                                                       "side": _SIDE_NAMES.get(side[0].upper(), side)})
                    for side in sides] if key in bilateral else [(key, {})]
        for name, words in per_side:
            try:
                out[name] = MarkerSpec(str(entry["body"]).format(**words), bool(entry.get("bony", False)),
                                       str(entry.get("landmark", "")).format(**words))
            except (KeyError, IndexError, ValueError) as exc:
                raise InputError(path, f"marker {key} of the marker-set table: a body or landmark with an unknown "
                                 f"placeholder ({exc}); use {{s}}, {{S}} or {{side}}", fix) from exc
    return out


MARKER_SETS: dict[str, MarkerSet] = {name: load_marker_set(_SETS_DIR / f"{name}.yaml") for name in BUILTIN_TABLES}
ANATOMICAL = MARKER_SETS["anatomical"]


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
                      path: str | Path | None = None, tables: Sequence[MarkerSet] = ()) -> MarkerSet:
    """The set matching the most ``labels``, among ``tables`` (a user's own, first) and the built-in ones;
    :class:`InputError` when none matches 4 names."""
    overrides = overrides or {}
    candidates = {s.name: s for s in tables}
    candidates.update({n: s for n, s in MARKER_SETS.items() if n not in candidates})
    scores = {name: len({_resolve(lab, s, overrides) for lab in labels} - {None}) for name, s in candidates.items()}
    # a tie goes to the set listed first (a user's table, Plug-in Gait, OpenSim's, the anatomical landmarks)
    best = max(scores, key=scores.get)
    if scores[best] < 4:
        raise InputError(path, f"marker names {labels[:12]}... match no known marker set "
                               f"(matches: {scores})",
                         "add lab_to_model_markers in data/<subject>/subject.yaml mapping your names to Plug-in Gait "
                         "names, put your own marker-set table in data/<subject>/marker_set.yaml, or set "
                         "markers.marker_set in config")
    return candidates[best]


def map_markers(trial: MarkerTrial, marker_set: str = "auto", overrides: dict[str, str | None] | None = None,
                tables: Sequence[MarkerSet] = ()) -> tuple[MarkerTrial, MarkerSet]:
    """Keep and rename the markers of ``trial`` to the canonical names of its marker set: ``marker_set`` auto
    (detected among ``tables`` and the built-in sets), a built-in set's name, or a table's path (.yaml).

    Returns ``(mapped_trial, marker_set)``. Labels in canonical order of first appearance in the trial.
    Raises :class:`InputError` naming the file and the missing required markers. A required marker that
    is present but never has data (all NaN) counts as missing.
    """
    overrides = dict(overrides or {})
    path = trial.source
    if marker_set == "auto":
        mset = detect_marker_set(trial.labels, overrides, path, tables)
    elif str(marker_set).lower().endswith((".yaml", ".yml")):
        mset = load_marker_set(marker_set)
    else:
        if marker_set not in MARKER_SETS:
            raise InputError(path, f"unknown marker set {marker_set!r}",
                             f"use one of auto, {', '.join(MARKER_SETS)}, or the path of a marker-set table (.yaml)")
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
