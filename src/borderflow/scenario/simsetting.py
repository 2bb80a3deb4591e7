"""Flee's ``simsetting.yml`` and ``--set`` overrides, checked against `params.SETTING_RULES`.

`read_settings` reads the YAML safely (no Python objects, no aliases, positions kept for every
key and value) and checks every value against its rule; unknown keys in Flee's sections are
warnings that name them, unknown keys in our own ``engine`` section are errors. Flee's special
cases live here too: ``conflict_driven_spawning`` is a mapping of its own, ``use_v1_rules``
overrides five move rules, and options borderflow does not implement warn when they would
change anything. `apply_overrides` checks settings given on the command line the same way.
Problems and warnings go to the caller's collector (see `flee_format`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import yaml

from borderflow.params import SETTING_RULES, SettingRule, check_value, rule_for
from borderflow.scenario.csvtext import read_text
from borderflow.scenario.errors import Problem
from borderflow.scenario.rules import MAX_PEOPLE, did_you_mean, hint

__all__ = ["Collector", "apply_overrides", "read_settings"]


class Collector(Protocol):
    """Where problems and warnings go, with file names relative to the scenario ``root``."""

    root: Path

    def rel(self, path: Path) -> str: ...

    def add(self, file: str, line: int | None, column: int | None, message: str) -> None: ...

    def extend(self, problems: list[Problem]) -> None: ...

    def warn(self, file: str, line: int | None, column: int | None, message: str) -> None: ...


# Extra keys that are not in params.SETTING_RULES but have a meaning here.
_SPAWN_MODE = SettingRule("conflict_driven_spawning", "spawn_mode", "spawn.conflict_spawn_mode",
                          str, choices=("constant", "pop_ratio", "poisson"))
_DISPLACED = SettingRule("conflict_driven_spawning", "displaced_per_conflict_day",
                         "spawn.displaced_per_conflict_day", float, 0, MAX_PEOPLE)
_DRIVEN = SettingRule("spawn_rules", "conflict_driven_spawning",
                      "spawn.conflict_driven_spawning", bool)
_EXTRA_RULES = (_SPAWN_MODE, _DISPLACED, _DRIVEN)
_FLEE_SECTIONS = ("log_levels", "spawn_rules", "move_rules", "optimisations")
# Settings borderflow accepts but does not act on yet, with the value that would need acting on.
_NO_EFFECT_YET = {("move_rules", "avoid_short_stints", True),
                  ("spawn_rules", "conflict_zone_spawning_only", False)}

# Keys Flee reads that borderflow does not implement, with the value that makes them harmless.
_FLEE_UNSUPPORTED: dict[tuple[str, str], Any] = {
    ("", "number_of_steps"): -1,
    ("", "conflict_input_file"): "",
    ("", "flood_rules"): None,
    ("spawn_rules", "flood_zone_spawning_only"): False,
    ("spawn_rules", "flood_driven_spawning"): None,
    ("spawn_rules", "read_from_agents_csv_file"): False,
    ("move_rules", "ChildrenAvoidHazards"): False,
    ("move_rules", "BoysTakeRisk"): False,
    ("move_rules", "MatchCampEthnicity"): False,
    ("move_rules", "MatchTownEthnicity"): False,
    ("move_rules", "MatchConflictEthnicity"): False,
}
# Flee's use_v1_rules overrides these move rules after reading the yml.
_V1_RULES = {"move.max_move_speed": 200.0, "move.start_on_foot": False,
             "move.avoid_short_stints": False, "move.camp_weight": 2.0,
             "move.conflict_weight": 0.25}


def _marks(node: yaml.Node | None) -> dict[tuple[str, ...], tuple[int, int, int, int]]:
    """(key path) → (key line, key column, value line, value column), 1-based."""
    out: dict[tuple[str, ...], tuple[int, int, int, int]] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            sub = (*path, str(key.value))
            out[sub] = (key.start_mark.line + 1, key.start_mark.column + 1,
                        value.start_mark.line + 1, value.start_mark.column + 1)
            if len(sub) < 3:
                walk(value, sub)

    if node is not None:
        walk(node, ())
    return out


class _YamlError(Exception):
    """A simsetting.yml that cannot be read as plain YAML, with the place of the problem."""

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


_YAML_EXPECTED = "expected a YAML mapping of settings"


def _parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The composed node (for positions) and the data of a YAML text, read safely.

    Only plain YAML is accepted: the safe loader builds no Python objects, and aliases
    (``*name``) are refused, since nesting them can make a few lines expand without bound.
    Raises `_YamlError` with the position of the first problem.
    """
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise _YamlError(f"YAML alias '*{event.anchor}' is not allowed (expected plain "
                                 "values: anchors and aliases are not supported)",
                                 mark.line + 1, mark.column + 1)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        raise _YamlError(f"invalid YAML: {message} ({_YAML_EXPECTED})",
                         mark.line + 1 if mark else None,
                         mark.column + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        at = min(exc.position, len(text))
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _YamlError(f"character U+{code:04X} is not allowed in YAML (expected printable "
                         "text)", text.count("\n", 0, at) + 1,
                         at - text.rfind("\n", 0, at)) from None
    except yaml.YAMLError as exc:
        raise _YamlError(f"invalid YAML: {exc} ({_YAML_EXPECTED})", None, None) from None
    except RecursionError:
        raise _YamlError(f"invalid YAML: nested too deeply ({_YAML_EXPECTED})", None,
                         None) from None
    return node, data


def read_settings(col: Collector, path: Path) -> dict[str, Any]:
    """Checked ``{"move.x": value, ...}`` from simsetting.yml (empty when absent)."""
    f = col.rel(path)
    text, found = read_text(path, f, "a YAML mapping of settings", root=col.root,
                            required=False)
    col.extend(found)
    if text is None:
        return {}
    try:
        node, data = _parse_yaml(text)
    except _YamlError as exc:
        col.add(f, exc.line, exc.column, str(exc))
        return {}
    if data is None:
        return {}
    marks = _marks(node)
    if not isinstance(data, dict):
        col.add(f, 1, 1, "is not a mapping (expected sections such as move_rules:)")
        return {}
    values: dict[str, Any] = {}
    sections = (*_FLEE_SECTIONS, "engine")
    for section, body in data.items():
        section = str(section)
        kl, kc, vl, vc = marks.get((section,), (None, None, None, None))
        if ("", section) in _FLEE_UNSUPPORTED:
            if body != _FLEE_UNSUPPORTED[("", section)]:
                col.warn(f, kl, kc, f"'{section}' is a Flee option borderflow does not "
                         "implement; ignored")
            continue
        if section not in sections:
            col.warn(f, kl, kc, f"unknown section '{section}' ignored (expected one of "
                     f"{', '.join(sections)}{did_you_mean(section, sections)})")
            continue
        if body is None or section == "log_levels":
            continue
        if not isinstance(body, dict):
            col.add(f, vl, vc, f"section '{section}' is not a mapping "
                    "(expected 'key: value' lines indented under it)")
            continue
        for key, value in body.items():
            _read_setting(col, f, marks, values, section, str(key), value)
    if values.pop("use_v1_rules", False):
        values.update(_V1_RULES)  # Flee applies these after the yml, whatever it says
    return values


def _read_setting(col: Collector, f: str, marks: dict, values: dict[str, Any],
                  section: str, key: str, value: Any) -> None:
    kl, kc, vl, vc = marks.get((section, key), (None, None, None, None))
    if section == "move_rules" and key == "use_v1_rules":
        checked, err = check_value(_r_bool("use_v1_rules"), value)
        if err:
            col.add(f, vl, vc, err)
        else:
            values["use_v1_rules"] = checked
        return
    if section == "spawn_rules" and key == "conflict_driven_spawning":
        _read_conflict_driven(col, f, marks, values, value)
        return
    if isinstance(value, bool) and (section, key, value) in _NO_EFFECT_YET:
        col.warn(f, kl, kc, f"'{key}: {value}' in {section} is not implemented by borderflow "
                 "yet and has no effect (see docs/model.md)")
    rule = rule_for(section, key)
    if rule is None:
        if (section, key) in _FLEE_UNSUPPORTED:
            if value != _FLEE_UNSUPPORTED[(section, key)]:
                col.warn(f, kl, kc, f"'{key}' in {section} is a Flee option borderflow does "
                         "not implement; ignored")
            return
        known = [r.key for r in SETTING_RULES if r.section == section]
        close = did_you_mean(key, known)
        if section == "engine":
            col.add(f, kl, kc, f"unknown key '{key}' in engine (expected one of "
                    f"{', '.join(known)}{close})")
        else:
            col.warn(f, kl, kc, f"unknown key '{key}' in {section} ignored{hint(key, known)}")
        return
    checked, err = check_value(rule, value)
    if err:
        col.add(f, vl, vc, err)
    else:
        values[rule.target] = checked


def _r_bool(key: str) -> SettingRule:
    return SettingRule("move_rules", key, key, bool)


def _read_conflict_driven(col: Collector, f: str, marks: dict, values: dict[str, Any],
                          body: Any) -> None:
    path = ("spawn_rules", "conflict_driven_spawning")
    if body is None:
        return  # Flee: an empty entry means no conflict-driven spawning
    if not isinstance(body, dict):
        _, _, vl, vc = marks.get(path, (None, None, None, None))
        col.add(f, vl, vc, "conflict_driven_spawning is not a mapping (expected spawn_mode: "
                "and displaced_per_conflict_day: indented under it)")
        return
    values["spawn.conflict_driven_spawning"] = True
    mode = body.get("spawn_mode", "constant")
    for key, value in body.items():
        kl, kc, vl, vc = marks.get((*path, str(key)), (None, None, None, None))
        rule = {"spawn_mode": _SPAWN_MODE, "displaced_per_conflict_day": _DISPLACED}.get(key)
        if rule is None:
            col.warn(f, kl, kc, f"unknown key '{key}' in conflict_driven_spawning ignored"
                     + hint(str(key), ("spawn_mode", "displaced_per_conflict_day")))
            continue
        checked, err = check_value(rule, value.lower() if isinstance(value, str) else value)
        if err:
            col.add(f, vl, vc, err)
            continue
        if key == "displaced_per_conflict_day" and str(mode).lower() != "pop_ratio":
            checked = float(int(checked))  # Flee reads a whole number of people here
        values[rule.target] = checked
    if "displaced_per_conflict_day" not in body and str(mode).lower() == "pop_ratio":
        values[_DISPLACED.target] = 0.01  # Flee's default for pop_ratio


def apply_overrides(col: Collector, values: dict[str, Any], overrides: dict) -> None:
    rules = {r.target: r for r in (*SETTING_RULES, *_EXTRA_RULES)}
    rules.update({f"{r.section}.{r.key}": r for r in SETTING_RULES})
    for key, value in overrides.items():
        rule = rules.get(str(key))
        if rule is None:
            close = did_you_mean(str(key), sorted({r.target for r in rules.values()}))
            col.add("settings_overrides", None, None, f"unknown setting '{key}' "
                    f"(expected a name such as move.awareness_level{close})")
            continue
        checked, err = check_value(rule, value.lower() if rule is _SPAWN_MODE and
                                   isinstance(value, str) else value)
        if err:
            col.add("settings_overrides", None, None, f"'{key}': {err}")
        else:
            values[rule.target] = checked
