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


def load_scenario(path: str | Path, *, settings_overrides: Mapping | None = None,
                  parameters: Mapping[str, float] | None = None) -> Scenario:
    """Load and validate a scenario folder: Flee's files and, if present, ``policies.yml``.

    ``settings_overrides`` change simsetting.yml values (``{"move.awareness_level": 2}``);
    ``parameters`` change named values of ``policies.yml`` (``{"occupancy": 0.7}``).
    """
    from borderflow.scenario.flee_format import load_scenario as load_flee
    from borderflow.scenario.policies import load_policies

    scenario = load_flee(path, settings_overrides=dict(settings_overrides or {}) or None)
    names = {loc.name for loc in scenario.locations}
    policies = load_policies(scenario.path, scenario.start_date, names,
                             parameter_overrides=parameters)
    if policies is None:
        if parameters:
            raise ScenarioError.single("policies.yml", "not found (expected a policies.yml "
                                       "defining the parameters given on the command line)")
        return scenario
    return dataclasses.replace(scenario, policies=policies)
