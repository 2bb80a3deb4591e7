"""Border mechanics from no one to 10^13 people on the same network: what a day costs.

Usage (from the repository root)::

    .venv/bin/python benchmarks/border_scale.py [--days 365] [--people 0,1e4,...,1e13]

Builds one network (an arrival hub, a city, six border strips into three countries, places and
detention beyond them, return flights, giving up after attempts) and runs it with scheduled
arrivals totalling each number of people. Prints, per size: time per simulated day (wall and
CPU, after a warm-up run that compiles the kernels) and the work the kernel did per day — the
non-empty (place, class) groups that drew departures, the cohorts moved along links and the
groups handled in chained hops — as a Markdown table.

Attempt counts, border groups given up and origins are part of the count key (the person
class), so a day costs the number of *occupied* keys, which is bounded by the network and the
classes, never by the number of people: more people first fill empty keys (work grows while
keys are sparse), then only make counts bigger: the cost per day levels off at a bound set by the
network and the classes. The 0-people row is the fixed cost of a day.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import yaml

from borderflow import kconst
from borderflow.engine import Simulation
from borderflow.scenario import load_scenario

PLACES = [("Hub", "Near", 0.0, 0.0, "forwarding_hub"), ("City", "Near", 0.5, 0.5, "town")]
ROUTES = [("Hub", "City", 100)]
for i, country in enumerate(("East", "East", "North", "North", "West", "West")):
    strip, entry, town = f"Strip{i}", f"Entry{i}", f"Town{i}"
    PLACES += [(strip, "Near", 1.0 + i, 1.0, "forwarding_hub"),
               (entry, country, 1.0 + i, 1.2, "town"), (town, country, 1.0 + i, 2.0, "town")]
    ROUTES += [("City", strip, 60 + 20 * i), (strip, entry, 10), (entry, town, 80)]
PLACES += [("Camp", "East", 9.0, 3.0, "camp")]
ROUTES += [(f"Town{i}", "Camp", 150) for i in range(6)]


def write(folder: Path, people: float, days: int) -> Path:
    """The scenario folder, with arrivals summing to ``people`` over the first half."""
    inp = folder / "input_csv"
    inp.mkdir(parents=True)
    with (inp / "locations.csv").open("w") as fh:
        fh.write("#name,region,country,lat,lon,location_type,conflict_date,population\n")
        for name, country, lat, lon, kind in PLACES:
            fh.write(f"{name},{country},{country},{lat},{lon},{kind},,0\n")
    with (inp / "routes.csv").open("w") as fh:
        fh.write("#name1,name2,distance,forced_redirection\n")
        for a, b, km in ROUTES:
            fh.write(f"{a},{b},{km},0\n")
    (inp / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n")
    (inp / "conflict_period.csv").write_text(f"StartDate,2021-01-01\nLength,{days}\n")
    per_week = 7 * people / (days // 2)
    strips = range(6)
    policies = {
        "arrivals": [{"origin": o, "to": "Hub", "occupancy": 1.0, "cut": days // 2,
                      "seats_per_week": [{"from": 0, "value": per_week / 3}]}
                     for o in ("A", "B", "C")],
        "crossings": [{"from": f"Strip{i}", "to": f"Entry{i}", "turnback_probability":
                       [{"from": 0, "value": 0.5}, {"from": days // 3, "value": 0.9}]}
                      for i in strips],
        "attempts": {"give_up_after": 5},
        "blocks": [{"from": f"Entry{i}", "to": f"Strip{i}", "start": 0} for i in strips],
        "zones": {"exposed": [f"Strip{i}" for i in strips]},
        "detention": [{"location": f"Entry{i}", "probability": 0.5,
                       "days": {"uniform": [10, 60]}} for i in strips],
        "returns": {"flights": [{"from": "City", "date": d, "seats": int(people // 200)}
                                for d in range(days // 2, days, 7)],
                    "voluntary": [{"location": "City", "rate": 0.02, "only_gave_up": True}]},
    }
    (folder / "policies.yml").write_text(yaml.safe_dump(policies), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run the sizes and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--people", default="0,1e4,1e5,1e6,1e7,1e8,1e9,1e10,1e11,1e12,1e13")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # compile / load every kernel once, on a populated run
        Simulation(load_scenario(write(Path(tmp) / "warm", 1e5, 60)), seed=args.seed).run()
        for i, people in enumerate(float(p) for p in args.people.split(",")):
            sc = load_scenario(write(Path(tmp) / f"s{i}", people, args.days))
            sim = Simulation(sc, seed=args.seed)
            w0, c0 = time.perf_counter(), time.process_time()
            res = sim.run()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            ev = res.events
            st = sim.stats / args.days
            work = st[kconst.S_GROUPS] + st[kconst.S_COHORTS] + st[kconst.S_CHAINED_GROUPS]
            present = float(res.total_present.mean())
            rows.append((int(res.total_spawned[-1]), wall / args.days * 1e3,
                         cpu / args.days * 1e3, st[kconst.S_GROUPS], st[kconst.S_COHORTS],
                         st[kconst.S_CHAINED_GROUPS], sim.classes.n,
                         int(ev.attempts.sum()), int(res.removed.sum()), present,
                         present / work if work else 0.0))
    ref = min(rows, key=lambda r: abs(math.log10(max(r[0], 1)) - 7))
    print(f"Border network of {len(PLACES)} places, {args.days} days, seed {args.seed}; "
          f"{rows[0][6]} person classes (attempts × border group × groups given up × origin "
          "× first journey). Work per day = groups and cohorts visited (kernel counters).")
    print()
    print("| people | present (mean) | wall ms/day | CPU ms/day | CPU / CPU at 10^7 "
          "| (place, class) groups/day | link cohorts/day | chained-hop groups/day "
          "| people present per unit of work | crossing attempts | returned |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (people, wall, cpu, groups, cohorts, chained, _, attempts, returned, present,
         per_unit) in rows:
        print(f"| {people:,} | {present:,.0f} | {wall:.3f} | {cpu:.3f} | {cpu / ref[2]:.2f} | "
              f"{groups:,.0f} | {cohorts:,.0f} | {chained:,.0f} | {per_unit:,.1f} | "
              f"{attempts:,} | {returned:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
