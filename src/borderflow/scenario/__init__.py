"""Loading scenario folders: Flee's files (`flee_format`) plus our policy file (`policies`).

`load_scenario` is the one entry point: it validates everything and returns a frozen
`Scenario`, or raises one `ScenarioError` that lists every problem found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from borderflow.scenario.errors import Problem, ScenarioError
from borderflow.scenario.model import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario"]


VARIANT_FILE = "variant.yml"


def load_scenario(path: str | Path, *, settings_overrides: Mapping | None = None,
                  parameters: Mapping[str, object] | None = None) -> Scenario:
    """Load and validate a scenario folder: Flee's files and, if present, ``policies.yml``.

    ``settings_overrides`` change simsetting.yml values (``{"move.awareness_level": 2}``);
    ``parameters`` change named values of ``policies.yml`` (``{"occupancy_iraq": 0.7}``).
    A folder holding a ``variant.yml`` is a what-if: it names its ``base`` folder and the
    parameters (and settings) it changes; everything else comes from the base.
    """
    from borderflow.scenario.flee_format import load_scenario as load_flee
    from borderflow.scenario.policies import load_policies

    folder = Path(path)
    name = None
    if (folder / VARIANT_FILE).is_file():
        base, var_params, var_settings = _read_variant(folder)
        parameters = {**var_params, **dict(parameters or {})}
        settings_overrides = {**var_settings, **dict(settings_overrides or {})}
        name = folder.resolve().name
        folder = base
    scenario = load_flee(folder, settings_overrides=dict(settings_overrides or {}) or None)
    if name is not None:
        scenario = dataclasses.replace(scenario, name=f"{scenario.name}:{name}")
    names = {loc.name for loc in scenario.locations}
    policies = load_policies(scenario.path, scenario.start_date, names,
                             parameter_overrides=parameters,
                             location_countries={loc.name: loc.country
                                                 for loc in scenario.locations})
    if policies is None:
        if parameters:
            raise ScenarioError.single("policies.yml", "not found (expected a policies.yml "
                                       "defining the parameters given on the command line)")
        return scenario
    return dataclasses.replace(scenario, policies=policies)


def _read_variant(folder: Path) -> tuple[Path, dict[str, object], dict[str, object]]:
    """``variant.yml``: ``base`` (a relative path to the base scenario), ``parameters`` and
    ``settings`` to change, and a ``description``."""
    import yaml

    rel = f"{folder.name}/{VARIANT_FILE}"
    try:
        data = yaml.safe_load((folder / VARIANT_FILE).read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError.single(rel, f"invalid YAML: {exc} (expected base, parameters, "
                                        "settings, description)",
                                   mark.line + 1 if mark else None,
                                   mark.column + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ScenarioError.single(rel, "expected a mapping with keys base, parameters, "
                                        "settings, description")
    unknown = set(data) - {"base", "parameters", "settings", "description"}
    if unknown:
        raise ScenarioError.single(rel, f"unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                                        "(expected base, parameters, settings, description)")
    base_text = data.get("base")
    if not isinstance(base_text, str) or Path(base_text).is_absolute():
        raise ScenarioError.single(rel, f"base {base_text!r} is not valid (expected a relative "
                                        "path to the base scenario folder)")
    base = (folder / base_text).resolve()
    if not base.is_dir() or (base / VARIANT_FILE).exists():
        raise ScenarioError.single(rel, f"base {base_text!r} is not a scenario folder (expected "
                                        "a folder with Flee's files, not another variant)")
    params = data.get("parameters") or {}
    settings = data.get("settings") or {}
    if not isinstance(params, dict) or not isinstance(settings, dict):
        raise ScenarioError.single(rel, "parameters and settings must be mappings")
    return base, {str(k): v for k, v in params.items()}, {str(k): v for k, v in settings.items()}
