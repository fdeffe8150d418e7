#!/usr/bin/env python3
"""Performance figures for the person API on PostgreSQL (and SQLite): ``make bench``.

    uv run python bench/run.py [--persons 100000] [--sqlite-persons 20000]

The orchestrating process starts a throwaway PostgreSQL 15 cluster (scripts/with_postgres.py)
and runs one worker process per database; a worker configures Django from the environment
it was given (DATABASE_URL, PRAKSIS_ENV=test), migrates, creates an optician clinic with a
receptionist and a bearer token, generates the people, analyses the tables and then times
real requests in-process through Django's test ``Client`` — the whole stack (middleware,
token lookup, ninja, the selector or service, the access-log row each read or write
appends) except the network and the WSGI server. One process per database because
Django's settings are read once per process.

Prints a plain-text table and writes JSON to var/bench.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project importable
SEARCH_P95_TARGET_MS = 10.0
CLINIC = {
    "slug": "bench-optik",
    "name": "Bench Optik",
    "profile": "optician",
    "regime": "SE-human",
    "country": "SE",
    "language": "sv",
    "time_zone": "Europe/Stockholm",
}
# Search mix: (kind, weight). Names dominate at a reception desk; numbers come from cards.
SEARCH_MIX = [
    ("last_prefix", 35),
    ("first_last", 20),
    ("identity", 20),
    ("phone", 15),
    ("birth_date", 10),
]


class HttpResponseLike(Protocol):
    status_code: int
    content: bytes


# --- orchestration (no Django in this process) ----------------------------------------


def _with_postgres() -> ModuleType:
    """scripts/ is not a package: load with_postgres.py by path."""
    spec = importlib.util.spec_from_file_location(
        "with_postgres", ROOT / "scripts" / "with_postgres.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_worker(backend: str, database_url: str, args: argparse.Namespace, persons: int) -> dict:
    """One Django process against one database; its figures come back as JSON in a file."""
    with tempfile.TemporaryDirectory(prefix="praksis-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        (Path(tmp) / "static").mkdir()  # STATIC_ROOT, or whitenoise warns on every start
        env = {
            **os.environ,
            "DATABASE_URL": database_url.replace("{tmp}", tmp),
            "PRAKSIS_ENV": "test",
            "PRAKSIS_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "praksis.settings",
        }
        command = [
            sys.executable, __file__, "--worker", backend, "--result", str(result_path),
            "--persons", str(persons), "--searches", str(args.searches),
            "--creates", str(args.creates), "--reads", str(args.reads),
            "--warmup", str(args.warmup), "--seed", str(args.seed),
        ]  # fmt: skip
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        return json.loads(result_path.read_text())


def orchestrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    runs: dict[str, dict] = {}
    pg = _with_postgres()
    with pg.postgres_cluster() as base_url:
        url = pg.create_database(base_url, "praksis_bench")
        runs["postgresql"] = _run_worker("postgresql", url, args, args.persons)
    if args.sqlite_persons > 0:
        runs["sqlite"] = _run_worker(
            "sqlite", "sqlite:///{tmp}/bench.sqlite3", args, args.sqlite_persons
        )
    report = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "persons": args.persons,
        "postgresql_version": runs["postgresql"]["server_version"],
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "targets_ms": {"search_p95": SEARCH_P95_TARGET_MS},
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    output = ROOT / args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(_table(report))
    if "postgresql" in runs:
        print("\n" + _explain_text(runs["postgresql"]))
    print(f"\nwritten to {output} in {report['seconds']} s")
    return 0


def _table(report: dict) -> str:
    head = (
        f"{'database':<11}{'metric':<24}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'sql/req':>9}  target"
    )
    lines = [
        f"machine: {report['machine']['cores']} cores, {report['machine']['platform']}",
    ]
    for backend, run in report["runs"].items():
        load = ", ".join(f"{x:.1f}" for x in run["load_average"]["before"])
        lines.append(
            f"{backend}: {run['server_version']}, {run['persons']:,} persons generated at "
            f"{run['generation']['persons_per_s']:,.0f} persons/s (load average {load})"
        )
    lines += ["", head, "-" * len(head)]
    for backend, run in report["runs"].items():
        for name, m in run["metrics"].items():
            target = m.get("target", "")
            if target:
                target += ": met" if m["target_met"] else ": MISSED"
            lines.append(
                f"{backend:<11}{name:<24}{m['n']:>5}{m['p50_ms']:>9.2f}{m['p95_ms']:>9.2f}"
                f"{m['p99_ms']:>9.2f}{m.get('statements', 0):>9.1f}  {target}"
            )
    return "\n".join(lines)


def _explain_text(run: dict) -> str:
    """Where a search spends its time in the database, one query of each kind."""
    lines = [f"EXPLAIN ANALYZE of the search queries at {run['persons']:,} persons:"]
    for kind, found in run["explain"].items():
        lines.append(f"  {kind} {found['query']!r}")
        for plan in found["plans"]:
            lines.append(
                f"    exec {plan['execution_ms']:.3f} ms, plan {plan['planning_ms']:.3f} ms: "
                + " > ".join(step.strip() for step in plan["top"])
            )
    return "\n".join(lines)


# --- the worker (one database, Django set up from the environment) --------------------


def _percentiles(samples_ms: list[float]) -> dict:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "n": len(samples_ms),
        "p50_ms": round(cuts[49], 3),
        "p95_ms": round(cuts[94], 3),
        "p99_ms": round(cuts[98], 3),
        "max_ms": round(max(samples_ms), 3),
    }


def _time(call: Callable[[], HttpResponseLike]) -> float:
    """Milliseconds for one request; it must succeed, or the figure would lie."""
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code >= 300:
        body = response.content[:300]
        raise SystemExit(f"benchmark request failed with {response.status_code}: {body!r}")
    return elapsed


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    clinic, token = _clinic_and_token()
    generation = _generate(clinic, args.persons, args.seed)
    _analyse(connection)
    rng = random.Random(args.seed)
    sample = _sample_people(clinic, rng, 2000)
    load_before = os.getloadavg()
    metrics = _measure(_Api(token), clinic, rng, sample, args)
    result = {
        "backend": connection.vendor,
        "server_version": _server_version(connection),
        "persons": args.persons,
        "generation": generation,
        "metrics": metrics,
        # Other work on the machine inflates every figure: keep the evidence with them.
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "explain": _explain_samples(clinic, sample, rng) if args.worker == "postgresql" else {},
    }
    Path(args.result).write_text(json.dumps(result, indent=2))


def _measure(api: _Api, clinic, rng: random.Random, sample: list[dict], args) -> dict:
    """Warm up, then time searches (kept per kind of query), reads and creates in turn."""
    for _ in range(args.warmup):
        _time(api.search(_search_query(rng, sample)[1]))
        _time(api.read(rng.choice(sample)["id"]))
    by_kind: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.searches):
        kind, query = _search_query(rng, sample)
        by_kind[kind].append(_time(api.search(query)))
    reads = [_time(api.read(rng.choice(sample)["id"])) for _ in range(args.reads)]
    creates = [_time(api.create(body)) for body in _new_people(clinic, rng, args.creates)]
    floor = [_time(api.health()) for _ in range(args.reads)]
    searches = _percentiles([ms for samples in by_kind.values() for ms in samples])
    searches["target"] = f"p95 <= {SEARCH_P95_TARGET_MS:g}"
    searches["target_met"] = searches["p95_ms"] <= SEARCH_P95_TARGET_MS
    metrics = {
        "person search": searches,
        **{f"  search: {kind}": _percentiles(by_kind[kind]) for kind, _w in SEARCH_MIX},
        "person read": _percentiles(reads),
        "person create": _percentiles(creates),
        # The cheapest request (middleware and one SELECT 1): what no endpoint can beat.
        "healthz (floor)": _percentiles(floor),
    }
    _count_statements(metrics, api, clinic, rng, sample)
    return metrics


def _count_statements(metrics: dict, api: _Api, clinic, rng, sample: list[dict]) -> None:
    """SQL statements per request (after the timings: counting them costs time).

    On PostgreSQL each is a round trip, plus BEGIN and COMMIT for a request that writes.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(call: Callable[[], HttpResponseLike]) -> int:
        with CaptureQueriesContext(connection) as captured:
            _time(call)
        return len(captured.captured_queries)

    for kind, _weight in SEARCH_MIX:
        queries = [_search_query(rng, sample) for _ in range(200)]
        calls = [api.search(q) for k, q in queries if k == kind][:10]
        metrics[f"  search: {kind}"]["statements"] = statistics.mean(map(statements, calls))
    metrics["person search"]["statements"] = statistics.mean(
        metrics[f"  search: {kind}"]["statements"] for kind, _w in SEARCH_MIX
    )
    metrics["person read"]["statements"] = statements(api.read(rng.choice(sample)["id"]))
    body = next(_new_people(clinic, rng, 1))
    metrics["person create"]["statements"] = statements(api.create(body))
    metrics["healthz (floor)"]["statements"] = statements(api.health())


def _clinic_and_token():
    from praksis.clinics.services import clinic_create, staff_add, token_issue

    clinic = clinic_create(**CLINIC)
    user = staff_add(
        clinic=clinic,
        email="reception@bench-optik.test",
        full_name="Bench Reception",
        role="receptionist",
        password=None,
    )
    return clinic, token_issue(user=user, clinic=clinic, name="bench")


def _generate(clinic, persons: int, seed: int) -> dict:
    from tqdm import tqdm

    from praksis.people.generate import generate_persons

    with tqdm(total=persons, unit=" persons", disable=not sys.stdout.isatty()) as bar:
        result = generate_persons(clinic, persons, seed=seed, on_batch=bar.update)
    print(
        f"{clinic.slug}: generated {result.persons:,} persons in {result.seconds:.1f} s "
        f"({result.rate:,.0f} persons/s)",
        flush=True,
    )
    return {"seconds": round(result.seconds, 2), "persons_per_s": round(result.rate)}


def _analyse(connection) -> None:
    """Fresh statistics, as autovacuum would have them on a live system."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _sample_people(clinic, rng: random.Random, size: int) -> list[dict]:
    """Real rows to search for: random ids across the whole table, read once."""
    from django.db.models import Max, Min

    from praksis.people.models import Person

    people = Person.objects.filter(clinic=clinic)
    bounds = people.aggregate(low=Min("id"), high=Max("id"))
    ids = rng.sample(range(bounds["low"], bounds["high"] + 1), size)
    fields = ("id", "first_name", "last_name", "identity_number", "phone", "birth_date")
    # The identity number is stored encrypted: opened per person, with its data key.
    sample = people.filter(pk__in=ids).select_related("data_key")
    return [{field: getattr(person, field) for field in fields} for person in sample]


def _search_query(rng: random.Random, sample: list[dict]) -> tuple[str, str]:
    kinds, weights = zip(*SEARCH_MIX, strict=True)
    kind = rng.choices(kinds, weights)[0]
    person = rng.choice(sample)
    if kind == "last_prefix":
        return kind, person["last_name"][: rng.randint(2, 5)]
    if kind == "first_last":
        return kind, f"{person['first_name']} {person['last_name']}"
    if kind == "identity":
        number = person["identity_number"]
        return kind, number if rng.random() < 0.5 else f"{number[:8]}-{number[8:]}"
    if kind == "phone":
        return kind, person["phone"]
    return kind, person["birth_date"].isoformat()


def _new_people(clinic, rng: random.Random, count: int) -> Iterator[dict]:
    """Valid request bodies with identity numbers nobody in the clinic has yet."""
    from django.utils import timezone

    from praksis.people.generate import TakenIdentities
    from praksis.people.synthetic import person_values

    taken = TakenIdentities.of(clinic)
    today = timezone.localdate()
    for serial in range(count):
        values = person_values(rng, clinic, 10_000_000 + serial, taken=taken, today=today)
        yield {
            "first_name": values["first_name"],
            "last_name": values["last_name"],
            "identity_number": values["identity_number"],
            "email": values["email"],
            "phone": values["phone"],
            "address": values["address"],
        }


class _Api:
    """Deferred calls on the real URLs, with the bearer token, in this process."""

    def __init__(self, token: str):
        from django.test import Client

        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def health(self) -> Callable[[], HttpResponseLike]:
        return lambda: self.client.get("/healthz")

    def search(self, query: str) -> Callable[[], HttpResponseLike]:
        return lambda: self.client.get("/api/v1/persons", {"q": query})

    def read(self, person_id: int) -> Callable[[], HttpResponseLike]:
        return lambda: self.client.get(f"/api/v1/persons/{person_id}")

    def create(self, body: dict) -> Callable[[], HttpResponseLike]:
        return lambda: self.client.post(
            "/api/v1/persons", json.dumps(body), content_type="application/json"
        )


def _explain_samples(clinic, sample: list[dict], rng: random.Random) -> dict:
    """EXPLAIN ANALYZE of what one search of each kind, and one create, ask of people_person.

    Run after the timings, so the extra rows it logs and creates change nothing measured.
    """
    from praksis.clinics.access import system_actor
    from praksis.people.selectors import person_search
    from praksis.people.services import person_create

    actor = system_actor(clinic)
    plans = {}
    for kind, _weight in SEARCH_MIX:
        query = _search_query(rng, sample)
        while query[0] != kind:
            query = _search_query(rng, sample)
        text = query[1]
        plans[kind] = {
            "query": text,
            "plans": _explained(lambda text=text: person_search(actor=actor, query=text)),
        }
    body = next(_new_people(clinic, rng, 1))
    plans["create"] = {
        "query": "POST /api/v1/persons",
        "plans": _explained(lambda: person_create(actor=actor, data=body)),
    }
    return plans


def _explained(call: Callable[[], object]) -> list[dict]:
    """Run ``call``, then explain each SELECT it sent to people_person."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return [
        _explain(connection, query["sql"])
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and "people_person" in query["sql"]
    ]


def _explain(connection, sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]
    return {
        "sql": sql,
        "execution_ms": plan["Execution Time"],
        "planning_ms": plan["Planning Time"],
        "top": _plan_summary(plan["Plan"]),
    }


def _plan_summary(node: dict, depth: int = 0) -> list[str]:
    index = f" using {node['Index Name']}" if "Index Name" in node else ""
    removed = node.get("Rows Removed by Filter")
    dropped = f" (filtered out {removed})" if removed else ""
    line = f"{'  ' * depth}{node['Node Type']}{index} rows={node.get('Actual Rows')}{dropped}"
    lines = [line]
    for child in node.get("Plans", []):
        lines += _plan_summary(child, depth + 1)
    return lines


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000, help="people on PostgreSQL")
    parser.add_argument(
        "--sqlite-persons", type=int, default=20_000, help="people on SQLite (0: skip SQLite)"
    )
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--output", default="var/bench.json", help="relative to the project")
    parser.add_argument("--worker", choices=["postgresql", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    if args.worker:
        worker(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
