"""borderflow: simulate and forecast how displaced people move along routes and across borders."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Results", "Scenario", "ScenarioError", "Simulation", "__version__", "load_scenario"]


def __getattr__(name: str):  # lazy imports keep `borderflow --help` fast
    if name == "load_scenario":
        from borderflow.scenario import load_scenario

        return load_scenario
    if name == "Scenario":
        from borderflow.scenario.model import Scenario

        return Scenario
    if name == "ScenarioError":
        from borderflow.scenario.errors import ScenarioError

        return ScenarioError
    if name == "Simulation":
        from borderflow.engine import Simulation

        return Simulation
    if name == "Results":
        from borderflow.results import Results

        return Results
    raise AttributeError(name)
