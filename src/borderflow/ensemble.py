"""Ensembles: one scenario run many times over (parameters, seed) pairs, kept in a resumable store.

A member is an index ``i``, a seed and a set of parameter values. Members are reproducible: the
seed of member ``i`` of an ensemble seeded ``S`` is drawn from ``SeedSequence(S).spawn(N)[i]``
(which is ``SeedSequence(S, spawn_key=(i,))``, so it does not depend on ``N``), and its parameters
from a generator seeded with that child's own child ``(i, 0)``. The plan of all members is fixed
before anything runs and written to the manifest, so it never depends on which worker runs what.

The store is a folder::

    DIR/manifest.json          what the ensemble is: scenario fingerprint, seeds, parameters
    DIR/observed.parquet       the observed camp series (for validation without the scenario)
    DIR/members/m000042.parquet  one file per finished member: population per day and location
    DIR/quantiles.parquet      5/25/50/75/95 % bands per location and day, once all are done

Every file is written under a temporary name and renamed, so a member file exists only when the
member is complete. Running the same ensemble into the same folder again (after an interruption,
even ``kill -9``) computes only the members whose file is missing. A different ensemble in the
same folder is refused rather than mixed.

Members run on Dask (imported lazily): a local cluster of processes by default, or any existing
cluster given its scheduler address. Each member is one task with retries; a worker that dies
mid-run only costs its task, which the scheduler runs again elsewhere. The scenario goes to the
cluster once, as a task whose result every member depends on, so the cluster can rebuild it if
the worker holding it dies. ``scheduler="synchronous"`` runs members in this process, in order.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from borderflow.params import SETTING_RULES, Settings
from borderflow.results import atomic_write
from borderflow.scenario.model import Scenario

__all__ = [
    "QUANTILES",
    "EnsembleError",
    "EnsembleRun",
    "EnsembleStore",
    "Executor",
    "Member",
    "ParameterRange",
    "apply_params",
    "ensemble_spec",
    "open_executor",
    "parse_vary",
    "plan_members",
    "run_ensemble",
    "scenario_fingerprint",
]

MANIFEST_FORMAT = "borderflow-ensemble/1"
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
SAMPLINGS = ("lhs", "uniform")
_LHS_TAG = 0x4C4853  # "LHS": keeps the shared Latin-hypercube stream apart from member streams


class EnsembleError(ValueError):
    """Bad ensemble input (a parameter range, a store holding another ensemble, a failed member)."""


# -- parameters and members -------------------------------------------------------------------
@dataclass(frozen=True)
class ParameterRange:
    """A numeric setting varied over ``[low, high]``, e.g. ``move.conflict_weight``."""

    name: str
    low: float
    high: float
    integer: bool = False

    def value(self, u: float) -> float | int:
        """The value at ``u`` in [0, 1] (rounded for integer settings)."""
        x = self.low + (self.high - self.low) * float(u)
        return round(x) if self.integer else x


def parse_vary(items: Sequence[str] | Mapping[str, tuple[float, float]]) -> list[ParameterRange]:
    """``["move.conflict_weight=0.1:0.5", ...]`` (or a mapping) → checked `ParameterRange`s.

    Only numeric settings of `borderflow.params.SETTING_RULES` can be varied; a range must lie in
    the setting's allowed range and have ``low <= high``. Raises `EnsembleError` listing every
    problem.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(items, Mapping):
        pairs = [(k, f"{v[0]}:{v[1]}") for k, v in items.items()]
    else:
        for item in items:
            if "=" not in item:
                raise EnsembleError(f"--vary {item!r}: expected PARAM=LOW:HIGH")
            key, raw = item.split("=", 1)
            pairs.append((key.strip(), raw.strip()))
    rules = {r.target: r for r in SETTING_RULES if r.kind in (int, float)}
    out: list[ParameterRange] = []
    problems: list[str] = []
    for key, raw in pairs:
        rule = rules.get(key)
        if rule is None:
            import difflib

            near = difflib.get_close_matches(key, list(rules), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(f"--vary {key}: not a numeric setting{hint}")
            continue
        try:
            low_s, high_s = raw.split(":")
            low, high = float(low_s), float(high_s)
        except ValueError:
            problems.append(f"--vary {key}={raw}: expected LOW:HIGH, two numbers")
            continue
        if not (np.isfinite(low) and np.isfinite(high)) or low > high:
            problems.append(f"--vary {key}={raw}: expected finite LOW <= HIGH")
            continue
        if rule.low is not None and (low < rule.low or (rule.low_open and low == rule.low)):
            problems.append(f"--vary {key}={raw}: {low:g} is below the allowed minimum "
                            f"{rule.low:g}")
        if rule.high is not None and high > rule.high:
            problems.append(f"--vary {key}={raw}: {high:g} is above the allowed maximum "
                            f"{rule.high:g}")
        if any(p.name == key for p in out):
            problems.append(f"--vary {key}: given twice")
        out.append(ParameterRange(key, low, high, integer=rule.kind is int))
    if problems:
        raise EnsembleError("\n".join(problems))
    return out


def apply_params(settings: Settings, params: Mapping[str, float | int]) -> Settings:
    """``settings`` with ``{"move.conflict_weight": 0.3, ...}`` applied."""
    if not params:
        return settings
    return settings.with_values(**{k.replace(".", "__"): v for k, v in params.items()})


@dataclass(frozen=True)
class Member:
    """One run of an ensemble: its index, the seed passed to `Simulation`, its parameters."""

    index: int
    seed: int
    params: Mapping[str, float | int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"member": self.index, "seed": self.seed, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Member:
        return cls(int(data["member"]), int(data["seed"]), dict(data["params"]))


def member_seed_sequence(seed: int, index: int) -> np.random.SeedSequence:
    """``SeedSequence(seed).spawn(n)[index]`` for any ``n > index``, without spawning the rest."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def member_seed(seed: int, index: int) -> int:
    """The integer seed `Simulation` gets for member ``index`` of an ensemble seeded ``seed``."""
    return int(member_seed_sequence(seed, index).generate_state(1, np.uint64)[0])


def plan_members(n: int, seed: int, vary: Sequence[ParameterRange] = (),
                 sampling: str = "lhs") -> list[Member]:
    """The members of an ensemble: seeds, and parameters drawn over the ranges in ``vary``.

    ``sampling="uniform"``: each parameter of member i is uniform in its range, drawn from member
    i's own parameter generator, so member i is the same whatever ``n`` is. ``"lhs"`` (Latin
    hypercube): each range is cut into ``n`` equal strata, every stratum is used once (the
    strata are shuffled by a generator seeded from ``(seed, n)``) and the point within a stratum
    comes from member i's own generator; the plan depends on ``n`` but not on who runs it.
    """
    if n < 0:
        raise EnsembleError("the number of members must be >= 0")
    if sampling not in SAMPLINGS:
        raise EnsembleError(f"sampling {sampling!r}: expected one of {', '.join(SAMPLINGS)}")
    d = len(vary)
    strata = None
    if sampling == "lhs" and d and n:
        shared = np.random.default_rng(np.random.SeedSequence([seed, n, _LHS_TAG]))
        strata = np.stack([shared.permutation(n) for _ in range(d)], axis=1)
    members = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, 0)))
        u = rng.random(d)
        if strata is not None:
            u = (strata[i] + u) / n
        params = {p.name: p.value(u[j]) for j, p in enumerate(vary)}
        members.append(Member(i, member_seed(seed, i), params))
    return members


# -- running one member -----------------------------------------------------------------------
def simulate_member(scenario: Scenario, params: Mapping[str, float | int], seed: int,
                    days: int | None) -> np.ndarray:
    """Run one member; returns people per day and location, ``int64[days, locations]``."""
    from borderflow.engine import Simulation

    settings = apply_params(scenario.settings, params)
    results = Simulation(scenario, seed=seed, settings=settings, days=days).run()
    return np.ascontiguousarray(results.location_population, dtype=np.int64)


def _identity(value: Any) -> Any:
    return value


def _run_member_task(scenario: Scenario, index: int, params: dict[str, Any], seed: int,
                     days: int | None) -> tuple[int, np.ndarray]:
    return index, simulate_member(scenario, params, seed, days)


# -- executors --------------------------------------------------------------------------------
class Executor:
    """Runs members: in this process (``client is None``) or on a Dask cluster."""

    def __init__(self, client: Any = None, retries: int = 2) -> None:
        self.client = client
        self.retries = retries

    @property
    def workers(self) -> int:
        """How many members can run at once."""
        if self.client is None:
            return 1
        return max(1, sum(self.client.nthreads().values()))

    def map(self, scenario: Scenario, members: Sequence[Member], days: int | None,
            ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(member index, populations)`` as members finish (in any order)."""
        if self.client is None:
            for m in members:
                yield m.index, simulate_member(scenario, m.params, m.seed, days)
            return
        yield from self._map_dask(scenario, members, days)

    def _map_dask(self, scenario: Scenario, members: Sequence[Member], days: int | None,
                  ) -> Iterator[tuple[int, np.ndarray]]:
        from distributed import as_completed

        if not members:
            return
        client = self.client
        token = hashlib.sha1(os.urandom(8)).hexdigest()[:10]
        # A task (not scattered data): if the worker holding it dies, the scheduler recomputes it.
        scen = client.submit(_identity, scenario, key=f"bf-scenario-{token}", pure=False)
        futures = [
            client.submit(_run_member_task, scen, m.index, dict(m.params), m.seed, days,
                          key=f"bf-member-{token}-{m.index}", retries=self.retries, pure=False)
            for m in members
        ]
        try:
            for fut in as_completed(futures):
                if fut.status == "error":
                    exc = fut.exception()
                    raise EnsembleError(f"member {fut.key.rsplit('-', 1)[1]} failed: "
                                        f"{type(exc).__name__}: {exc}")
                index, array = fut.result()
                fut.release()
                yield index, array
        finally:
            for fut in futures:
                fut.release()
            scen.release()


@contextmanager
def open_executor(scheduler: Any = None, n_workers: int | None = None,
                  retries: int = 2) -> Iterator[Executor]:
    """An `Executor` for ``scheduler``, closed on exit.

    - ``None`` or ``"local"``: start a local Dask cluster of ``n_workers`` single-threaded
      processes (default: the number of cores) and stop it afterwards;
    - ``"synchronous"``: run in this process, no Dask needed;
    - a ``distributed.Client``: use it as it is (not closed);
    - any other string: the address of an existing scheduler, e.g. ``tcp://scheduler-host:8786``.
    """
    if scheduler == "synchronous":
        yield Executor(None, retries)
        return
    if scheduler is not None and not isinstance(scheduler, str):
        yield Executor(scheduler, retries)
        return
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise EnsembleError("ensembles on Dask need dask[distributed] "
                            "(pip install 'dask[distributed]'), or use --scheduler synchronous"
                            ) from exc
    if scheduler in (None, "local"):
        n = n_workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        try:
            yield Executor(client, retries)
        finally:
            client.close()
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise EnsembleError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield Executor(client, retries)
    finally:
        client.close()


# -- the store --------------------------------------------------------------------------------
def scenario_fingerprint(path: Path) -> str:
    """SHA-256 over the names and bytes of every file of a scenario folder."""
    digest = hashlib.sha256()
    root = Path(path)
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


_VOLATILE = ("borderflow_version", "created")


class EnsembleStore:
    """A results folder of an ensemble (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        path = self.root / "manifest.json"
        if not path.is_file():
            raise EnsembleError(f"{self.root}: not an ensemble folder (no manifest.json)")
        self.manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if self.manifest.get("format") != MANIFEST_FORMAT:
            raise EnsembleError(f"{path}: unknown format {self.manifest.get('format')!r}")

    @staticmethod
    def is_ensemble(root: str | Path) -> bool:
        """True when ``root`` is a folder holding an ensemble manifest."""
        return (Path(root) / "manifest.json").is_file()

    @classmethod
    def create_or_resume(cls, root: str | Path, manifest: Mapping[str, Any],
                         observed: pd.DataFrame | None = None) -> EnsembleStore:
        """Open the store in ``root`` for ``manifest``; create it, or resume the same ensemble.

        Raises `EnsembleError` if ``root`` already holds a different ensemble.
        """
        root = Path(root)
        new = json.loads(json.dumps(dict(manifest), sort_keys=True))
        path = root / "manifest.json"
        if path.is_file():
            old = json.loads(path.read_text(encoding="utf-8"))
            old_id = {k: v for k, v in old.items() if k not in _VOLATILE}
            new_id = {k: v for k, v in new.items() if k not in _VOLATILE}
            if old_id != new_id:
                differ = sorted(k for k in set(old_id) | set(new_id)
                                if old_id.get(k) != new_id.get(k))
                raise EnsembleError(
                    f"{root} holds a different ensemble (differs in: {', '.join(differ)}); "
                    "choose another output folder or remove it")
        else:
            text = json.dumps(new, indent=1, sort_keys=True) + "\n"
            atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
        (root / "members").mkdir(parents=True, exist_ok=True)
        for part in (root / "members").glob(".*.part"):  # left by a killed run
            part.unlink(missing_ok=True)
        if observed is not None and not (root / "observed.parquet").is_file():
            atomic_write(root / "observed.parquet", lambda p: observed.to_parquet(p))
        return cls(root)

    # manifest views
    @property
    def members(self) -> list[Member]:
        return [Member.from_json(m) for m in self.manifest["members"]]

    @property
    def location_names(self) -> list[str]:
        return list(self.manifest["locations"])

    @property
    def camp_names(self) -> list[str]:
        return list(self.manifest["camps"])

    @property
    def days(self) -> int:
        return int(self.manifest["days"])

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.manifest["start_date"], periods=self.days, freq="D",
                             name="date")

    def member_path(self, index: int) -> Path:
        return self.root / "members" / f"m{index:06d}.parquet"

    def finished(self) -> set[int]:
        """Indices of members whose file is there (and therefore complete)."""
        done = set()
        for path in (self.root / "members").glob("m*.parquet"):
            try:
                done.add(int(path.stem[1:]))
            except ValueError:
                continue
        return done & {m["member"] for m in self.manifest["members"]}

    def missing(self) -> list[Member]:
        done = self.finished()
        return [m for m in self.members if m.index not in done]

    def write_member(self, member: Member, populations: np.ndarray) -> Path:
        """Write one member's populations ``[days, locations]`` atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = self.location_names
        if populations.shape != (self.days, len(names)):
            raise EnsembleError(f"member {member.index}: populations of shape "
                                f"{populations.shape}, expected {(self.days, len(names))}")
        table = pa.table({name: populations[:, j] for j, name in enumerate(names)})
        meta = json.dumps(member.to_json()).encode()
        table = table.replace_schema_metadata({b"borderflow.member": meta})
        path = self.member_path(member.index)
        atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
        return path

    def read_member(self, index: int, columns: Sequence[str] | None = None) -> np.ndarray:
        """One member's populations ``int64[days, len(columns)]`` (all locations by default)."""
        import pyarrow.parquet as pq

        cols = list(columns) if columns is not None else self.location_names
        table = pq.read_table(self.member_path(index), columns=cols)
        return np.stack([table.column(c).to_numpy() for c in cols], axis=1).astype(np.int64)

    def stack(self, columns: Sequence[str] | None = None) -> np.ndarray:
        """All finished members, ``int64[members, days, len(columns)]``, in member order."""
        done = sorted(self.finished())
        if not done:
            raise EnsembleError(f"{self.root}: no finished members")
        return np.stack([self.read_member(i, columns) for i in done])

    def observed(self) -> pd.DataFrame | None:
        """Observed camp series (columns: camps and ``total``; index: day), if the store has it."""
        path = self.root / "observed.parquet"
        return pd.read_parquet(path) if path.is_file() else None

    def write_quantiles(self) -> Path:
        """Compute the quantile bands over all members and write ``quantiles.parquet``."""
        from borderflow.forecast import bands_frame, quantile_bands

        stack = self.stack()
        bands = quantile_bands(stack, QUANTILES)
        frame = bands_frame(bands, stack.mean(axis=0), self.dates, self.location_names,
                            QUANTILES)
        path = self.root / "quantiles.parquet"
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))
        return path

    def quantiles(self) -> pd.DataFrame:
        """The quantile bands (computed and written first if needed)."""
        path = self.root / "quantiles.parquet"
        if not path.is_file():
            self.write_quantiles()
        return pd.read_parquet(path)


# -- running an ensemble ----------------------------------------------------------------------
@dataclass
class EnsembleRun:
    """What `run_ensemble` did: the store, members computed now and members found finished."""

    store: EnsembleStore
    computed: list[int]
    reused: list[int]
    seconds: float


def observed_frame(scenario: Scenario, camps: Sequence[str], days: int) -> pd.DataFrame | None:
    """The observed series of ``camps`` (and the total) for ``days`` days, indexed by day."""
    obs = scenario.observed
    if obs is None:
        return None
    lookup = {name: i for i, name in enumerate(obs.camp_names)}
    data = {c: obs.camps[lookup[c], :days].astype(np.int64) for c in camps if c in lookup}
    data["total"] = np.asarray(obs.total[:days], dtype=np.int64)
    return pd.DataFrame(data, index=pd.RangeIndex(days, name="day"))


def build_manifest(scenario: Scenario, members: Sequence[Member], days: int | None,
                   spec: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of an ensemble of ``members`` of ``scenario``; ``spec`` says how it was made."""
    from borderflow.engine import Simulation

    probe = Simulation(scenario, seed=0, days=0).run()
    from borderflow import __version__

    return {
        "format": MANIFEST_FORMAT,
        "scenario": {"name": scenario.name, "path": str(Path(scenario.path).resolve()),
                     "fingerprint": scenario_fingerprint(scenario.path)},
        "start_date": scenario.start_date.isoformat(),
        "days": scenario.length if days is None else int(days),
        "locations": list(probe.location_names),
        "camps": list(probe.camp_names),
        "spec": dict(spec),
        "members": [m.to_json() for m in members],
        "borderflow_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def run_ensemble(scenario: Scenario, members: Sequence[Member], out: str | Path, *,
                 days: int | None = None, spec: Mapping[str, Any] | None = None,
                 scheduler: Any = None, n_workers: int | None = None, retries: int = 2,
                 progress: Callable[[int, int], None] | None = None,
                 on_member: Callable[[int], None] | None = None) -> EnsembleRun:
    """Run (or finish) an ensemble into the store ``out``; see the module docstring.

    ``spec`` records how the members were made (seed, ranges, sampling, overrides); together with
    the scenario fingerprint and the members it identifies the ensemble. ``progress(done, total)``
    is called as members finish, ``on_member(index)`` after each member file is written.
    """
    started = time.perf_counter()
    members = list(members)
    days = scenario.length if days is None else int(days)
    manifest = build_manifest(scenario, members, days, spec or {})
    observed = observed_frame(scenario, manifest["camps"], days)
    store = EnsembleStore.create_or_resume(out, manifest, observed)
    by_index = {m.index: m for m in store.members}
    todo = store.missing()
    reused = sorted(store.finished())
    total = len(members)
    if progress:
        progress(len(reused), total)
    computed: list[int] = []
    if todo:
        with open_executor(scheduler, n_workers=min(n_workers or os.cpu_count() or 1,
                                                    len(todo)), retries=retries) as ex:
            for index, populations in ex.map(scenario, todo, days):
                store.write_member(by_index[index], populations)
                computed.append(index)
                if on_member:
                    on_member(index)
                if progress:
                    progress(len(reused) + len(computed), total)
    if total:
        store.write_quantiles()
    return EnsembleRun(store, sorted(computed), reused, time.perf_counter() - started)


def ensemble_spec(seed: int, vary: Sequence[ParameterRange], sampling: str,
                  overrides: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The ``spec`` block of a manifest for a plain ensemble."""
    return {
        "seed": int(seed),
        "sampling": sampling,
        "vary": {p.name: [p.low, p.high] for p in vary},
        "settings_overrides": dict(overrides or {}),
        **extra,
    }

