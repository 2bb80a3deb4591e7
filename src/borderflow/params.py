"""Settings of a run: frozen dataclasses, one table of keys, types, defaults and constraints.

Flee's ``simsetting.yml`` has sections ``move_rules``, ``spawn_rules``, ``optimisations`` and
``log_levels``. ``SETTING_RULES`` maps every key we understand to a field of `Settings`, its type,
default and allowed range, so the loader validates them all from one place and tests can
generate bad values for every key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class MoveRules:
    """How people decide to leave, where to go and how fast they travel (Flee's move_rules)."""

    max_move_speed: float = 360.0
    max_walk_speed: float = 35.0
    max_crossing_speed: float = 20.0
    foreign_weight: float = 1.0
    camp_weight: float = 1.0
    conflict_weight: float = 1.0 / 3.16227766017
    conflict_movechance: float = 1.0
    camp_movechance: float = 0.001
    idpcamp_movechance: float = 0.1
    default_movechance: float = 0.3
    awareness_level: int = 1
    capacity_buffer: float = 0.9
    avoid_short_stints: bool = False
    start_on_foot: bool = False
    softening: float = 10.0
    weight_softening: float = 0.0
    weight_power: float = 1.0
    distance_power: float = 1.0
    stay_close_to_home: bool = False
    home_distance_power: float = 0.5
    use_pop_for_loc_weight: bool = False
    pop_power_for_loc_weight: float = 0.1
    movechance_pop_base: float = 10000.0
    movechance_pop_scale_factor: float = 0.0
    capacity_scaling: float = 1.0


@dataclass(frozen=True)
class SpawnRules:
    """Where and when people enter the simulation (Flee's spawn_rules)."""

    take_from_population: bool = False
    insert_day0: bool = True
    conflict_zone_spawning_only: bool = True
    camps_are_sinks: bool = False
    sum_from_camps: bool = False
    empty_camps_on_day0: bool = False
    conflict_spawn_decay: tuple[float, ...] | None = None
    conflict_spawn_decay_interval: int = 30
    conflict_driven_spawning: bool = False
    conflict_spawn_mode: str = "constant"
    displaced_per_conflict_day: float = 500.0


@dataclass(frozen=True)
class EngineOptions:
    """borderflow's own choices where Flee 3.1 is ambiguous or buggy (see docs/model.md).

    - ``chained_hop_credit``: ``"flee"`` credits a full day's speed to every chained link within
      a day (Flee 3.1's behaviour, which its validation scores depend on); ``"budget"`` lets a
      person travel at most ``max_move_speed`` km per day (the documented intent).
    - ``capacity_rounds``: arrivals in the travel phase are processed in this many random groups,
      with camp fill (and so CapMult) refreshed between groups; Flee refreshes after every person.
    - ``link_closure``: ``"flee"`` closes only name2→name1 for a ``link`` closure (Flee 3.1's
      bug); ``"both"`` closes both directions (the intent).
    - ``pop_loc_weight``: ``"max"`` (the intent, Flee master) or ``"flee31"`` (always 1).
    - ``track_origins``: keep each scheduled arrival's origin as a person attribute (reported
      in the results). No rule reads it, so turning it off (e.g. while calibrating) changes no
      distribution, only the bookkeeping, and makes runs with many origins faster.
    """

    chained_hop_credit: str = "flee"
    capacity_rounds: int = 8
    link_closure: str = "both"
    pop_loc_weight: str = "max"
    track_origins: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything that parameterises a run apart from the scenario's geography and data."""

    move: MoveRules = field(default_factory=MoveRules)
    spawn: SpawnRules = field(default_factory=SpawnRules)
    engine: EngineOptions = field(default_factory=EngineOptions)
    hasten: int = 1

    def with_values(self, **changes: Any) -> Settings:
        """Return a copy with changes given as ``section__field=value`` (or ``hasten=...``)."""
        sections: dict[str, dict[str, Any]] = {}
        top: dict[str, Any] = {}
        for key, value in changes.items():
            if "__" in key:
                section, name = key.split("__", 1)
                sections.setdefault(section, {})[name] = value
            else:
                top[key] = value
        new = self
        for section, values in sections.items():
            new = replace(new, **{section: replace(getattr(new, section), **values)})
        return replace(new, **top)


@dataclass(frozen=True)
class SettingRule:
    """One key of simsetting.yml: where it goes, its type and its allowed range."""

    section: str  # yml section
    key: str  # yml key
    target: str  # "move.max_move_speed" etc.
    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | None = None


def _r(section: str, key: str, target: str, kind: type, low: float | None = None,
       high: float | None = None, low_open: bool = False,
       choices: tuple[str, ...] | None = None) -> SettingRule:
    return SettingRule(section, key, target, kind, low, high, low_open, choices)


SETTING_RULES: tuple[SettingRule, ...] = (
    _r("move_rules", "max_move_speed", "move.max_move_speed", float, 0, None, True),
    _r("move_rules", "max_walk_speed", "move.max_walk_speed", float, 0, None, True),
    _r("move_rules", "max_crossing_speed", "move.max_crossing_speed", float, 0, None, True),
    _r("move_rules", "foreign_weight", "move.foreign_weight", float, 0),
    _r("move_rules", "camp_weight", "move.camp_weight", float, 0),
    _r("move_rules", "conflict_weight", "move.conflict_weight", float, 0),
    _r("move_rules", "conflict_movechance", "move.conflict_movechance", float, 0, 1),
    _r("move_rules", "camp_movechance", "move.camp_movechance", float, 0, 1),
    _r("move_rules", "idpcamp_movechance", "move.idpcamp_movechance", float, 0, 1),
    _r("move_rules", "default_movechance", "move.default_movechance", float, 0, 1),
    _r("move_rules", "awareness_level", "move.awareness_level", int, -1, 10),
    _r("move_rules", "capacity_buffer", "move.capacity_buffer", float, 0, 1),
    _r("move_rules", "avoid_short_stints", "move.avoid_short_stints", bool),
    _r("move_rules", "start_on_foot", "move.start_on_foot", bool),
    _r("move_rules", "softening", "move.softening", float, 0),
    _r("move_rules", "weight_softening", "move.weight_softening", float, 0),
    _r("move_rules", "weight_power", "move.weight_power", float, 0, 10),
    _r("move_rules", "distance_power", "move.distance_power", float, 0, 10),
    _r("move_rules", "stay_close_to_home", "move.stay_close_to_home", bool),
    _r("move_rules", "home_distance_power", "move.home_distance_power", float, 0, 10),
    _r("move_rules", "use_pop_for_loc_weight", "move.use_pop_for_loc_weight", bool),
    _r("move_rules", "pop_power_for_loc_weight", "move.pop_power_for_loc_weight", float, 0, 10),
    _r("move_rules", "movechance_pop_base", "move.movechance_pop_base", float, 0, None, True),
    _r("move_rules", "movechance_pop_scale_factor", "move.movechance_pop_scale_factor", float),
    _r("move_rules", "capacity_scaling", "move.capacity_scaling", float, 0),
    _r("spawn_rules", "take_from_population", "spawn.take_from_population", bool),
    _r("spawn_rules", "insert_day0", "spawn.insert_day0", bool),
    _r("spawn_rules", "conflict_zone_spawning_only", "spawn.conflict_zone_spawning_only", bool),
    _r("spawn_rules", "camps_are_sicks", "spawn.camps_are_sinks", bool),
    _r("spawn_rules", "camps_are_sinks", "spawn.camps_are_sinks", bool),
    _r("spawn_rules", "sum_from_camps", "spawn.sum_from_camps", bool),
    _r("spawn_rules", "empty_camps_on_day0", "spawn.empty_camps_on_day0", bool),
    _r("spawn_rules", "conflict_spawn_decay", "spawn.conflict_spawn_decay", tuple, 0),
    _r("spawn_rules", "conflict_spawn_decay_interval", "spawn.conflict_spawn_decay_interval",
       int, 1),
    _r("optimisations", "hasten", "hasten", int, 1),
    _r("engine", "chained_hop_credit", "engine.chained_hop_credit", str,
       choices=("flee", "budget")),
    _r("engine", "capacity_rounds", "engine.capacity_rounds", int, 1, 1000),
    _r("engine", "link_closure", "engine.link_closure", str, choices=("flee", "both")),
    _r("engine", "pop_loc_weight", "engine.pop_loc_weight", str, choices=("max", "flee31")),
    _r("engine", "track_origins", "engine.track_origins", bool),
)


def rule_for(section: str, key: str) -> SettingRule | None:
    """The rule for a yml key, or None when the key is unknown."""
    for rule in SETTING_RULES:
        if rule.section == section and rule.key == key:
            return rule
    return None


def check_value(rule: SettingRule, value: Any) -> tuple[Any, str | None]:
    """Coerce ``value`` to the rule's type; return ``(value, None)`` or ``(None, message)``."""
    expected = _describe(rule)
    if rule.kind is bool:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int) and value in (0, 1):
            return bool(value), None
        return None, f"{rule.key} = {value!r} is not valid (expected {expected})"
    if rule.kind is str:
        if isinstance(value, str) and (rule.choices is None or value in rule.choices):
            return value, None
        return None, f"{rule.key} = {value!r} is not valid (expected {expected})"
    if rule.kind is tuple:
        if value is None:
            return None, None
        if not isinstance(value, list | tuple) or not value:
            return None, f"{rule.key} = {value!r} is not valid (expected {expected})"
        out = []
        for item in value:
            num, err = _number(item, float)
            if err or num < 0 or not math.isfinite(num):
                return None, f"{rule.key} = {value!r} is not valid (expected {expected})"
            out.append(num)
        return tuple(out), None
    num, err = _number(value, rule.kind)
    if err:
        return None, f"{rule.key} = {value!r} is not valid (expected {expected})"
    if not math.isfinite(num):
        return None, f"{rule.key} = {value!r} is not finite (expected {expected})"
    if rule.low is not None and (num < rule.low or (rule.low_open and num == rule.low)):
        return None, f"{rule.key} = {value!r} is out of range (expected {expected})"
    if rule.high is not None and num > rule.high:
        return None, f"{rule.key} = {value!r} is out of range (expected {expected})"
    return num, None


def _number(value: Any, kind: type) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return None, "bool"
    if kind is int:
        if isinstance(value, int):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        return None, "not int"
    if isinstance(value, int | float):
        return float(value), None
    return None, "not a number"


def _describe(rule: SettingRule) -> str:
    if rule.kind is bool:
        return "true or false"
    if rule.kind is str:
        return "one of " + ", ".join(rule.choices or ())
    if rule.kind is tuple:
        return "a non-empty list of non-negative numbers"
    name = "an integer" if rule.kind is int else "a number"
    parts = []
    if rule.low is not None:
        parts.append(("> " if rule.low_open else ">= ") + f"{rule.low:g}")
    if rule.high is not None:
        parts.append(f"<= {rule.high:g}")
    return name + (" " + " and ".join(parts) if parts else "")


def settings_from_values(values: dict[str, Any]) -> Settings:
    """Build `Settings` from already checked ``{"move.x": v, "hasten": 2, ...}`` values."""
    settings = Settings()
    changes = {k.replace(".", "__"): v for k, v in values.items()}
    return settings.with_values(**changes)


def field_names(section_cls: type) -> list[str]:
    """The field names of a settings section (for "did you mean" suggestions)."""
    return [f.name for f in fields(section_cls)]
