"""A historical CSV and a live training both reach the answer to question 321, with every
process running: the import goes out through rapportage's outbox and comes back through its
worker, the live training is recorded through trajecten's API and arrives as its snapshot event."""

import httpx
import pytest

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e


def historical_csv(agency: str) -> bytes:
    return (
        "jaar;agentschap;regio;thema;aantal;kostprijs_eur;personeelsuren\n"
        f"2016;{agency};Regio Antwerpen;Duidelijke taal;110;1000;0\n"
        f"2016;{agency};Regio Limburg;Duidelijke taal;77;500;0\n"
        f"2017;{agency};Mars;Duidelijke taal;1;0;0\n"
    ).encode()


async def record_live_training(
    http: httpx.AsyncClient, trajecten: str, staff: dict, agency: str, title: str
):
    """Through trajecten's staff API, as a training team would: its snapshot event carries it
    to rapportage, its theme as a code of trajecten's theme catalogue."""
    created = await http.post(
        f"{trajecten}/api/v1/trainings",
        json={
            "agencies": [agency],
            "offer": "custom",
            "theme_code": "meertaligheid",
            "title": title,
            "region": "Limburg",
        },
        headers=staff,
    )
    assert created.status_code == 201, created.text
    training, etag = created.json()["id"], created.headers["etag"]
    for change, body in (
        ("sessions", {"held_on": "2020-10-06", "half_days": 2}),
        (
            "participants",
            {"name": "Gemeente Bree", "organisation_type": "local_government", "participants": 9},
        ),
        ("staff-hours", {"hours": "8"}),
        ("status", {"status": "held"}),
    ):
        changed = await http.post(
            f"{trajecten}/api/v1/trainings/{training}/{change}",
            json=body,
            headers=staff | {"If-Match": etag},
        )
        assert changed.status_code == 200, f"{change}: {changed.text}"
        etag = changed.headers["etag"]


async def test_the_321_answer_includes_imported_history_and_live_registrations(system, auth, infra):
    """AgII as the file spells it, agii as trajecten and tokens do: one agency. The only e2e
    test with trainings, so AgII's figures in this system are its own."""
    url = system.urls["rapportage"]
    async with httpx.AsyncClient(timeout=10) as http:
        imported = await http.post(
            f"{url}/api/v1/imports/trainings",
            files={"file": ("historiek.csv", historical_csv("AgII"), "text/csv")},
            headers=auth("analyst"),
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["imported"] == 2
        assert imported.json()["rejected"][0]["line"] == 4

        for title in ("Meertaligheid in de kinderopvang", "Meertaligheid op school"):
            await record_live_training(
                http,
                system.urls["trajecten"],
                auth("counsellor", "an@agii", organisation="agii"),
                "agii",
                title,
            )

        async def both_counted() -> dict | None:
            response = await http.get(
                f"{url}/api/v1/answers/321",
                params={"agency": "AgII", "from_year": 2016, "to_year": 2020},
                headers=auth("analyst"),
            )
            per_year = {r["year"]: r["trainings"] for r in response.json()["tables"][0]["rows"]}
            return response.json() if per_year["2016"] == 187 and per_year["2020"] == 2 else None

        answer = await eventually(both_counted, within=90)
    tables = {t["title"]: t for t in answer["tables"]}
    span = "van AgII 2016-2020"
    assert tables[f"Aantal vormingen {span}"]["rows"][0] == {"year": "2016", "trainings": 187}
    regions = {
        r["label"]: r for r in tables["Aantal vormingen van AgII naar regio 2016-2020"]["rows"]
    }
    assert regions["Regio Antwerpen"]["2016"] == 110
    assert regions["Regio Limburg"]["2020"] == 2
    # Live trainings group by their catalogue code, shown with its label; imported history
    # (no code) by its own text.
    themes = {r["label"]: r for r in tables["Vormingen van AgII per thema 2016-2020"]["rows"]}
    assert themes["Meertaligheid"]["2020"] == 2
    assert themes["Duidelijke taal"]["2016"] == 187
    cost = tables[f"Kostprijs en VTE van de vormingen per jaar {span}"]["rows"]
    assert cost[0] == {
        "year": "2016",
        "trainings": 187,
        "cost_eur": 1500.0,
        "staff_hours": 0.0,
        "vte": 0.0,
    }
    details = tables["Overzicht per vorming 2016-2020"]["rows"]
    live = next(r for r in details if r["source"] == "registratie")
    assert live["local_government_participants"] == 9
    assert {r["source"] for r in details} == {"registratie", "historisch"}


# --- Disclosure control across the tables a partner receives (issue #13) ---------------------

THRESHOLD = 5
STATUSES = ("opened", "suspended", "stopped", "completed")  # None: an intake, no trajectory
STATUS_LABELS = {
    "opened": "lopend",
    "suspended": "geschorst",
    "stopped": "stopgezet",
    "completed": "afgerond (attest)",
}
STATUS_COLUMNS = {
    "opened": "running",
    "suspended": "suspended",
    "stopped": "stopped",
    "completed": "completed",
}
NEWCOMER_REPORTS = (
    "intakes-per-month",
    "trajectories-per-month",
    "trajectory-status",
    "newcomers-per-region-and-agency",
    "trajectory-status-by-origin",
)
# (nationality, residence category, trajectory status or None, how many): one person alone
# with nationality AF and no trajectory, one alone with MA whose trajectory was stopped.
PEOPLE = (
    ("SY", "recognised_refugee", "opened", 4),
    ("SY", "recognised_refugee", "completed", 5),
    ("SY", "family_reunification", "opened", 5),
    ("UA", "temporary_protection", "opened", 5),
    ("MA", None, "stopped", 1),
    ("AF", None, None, 1),
)


async def publish_newcomers(system, infra, nis: str) -> None:
    """The people above, as intake and trajecten publish them, onto the system's topics: the
    running rapportage worker takes them in."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from aiokafka import AIOKafkaProducer

    from civic_common.events.contracts.intake import PersonRegistered
    from civic_common.events.contracts.trajecten import (
        TrajectoryCompleted,
        TrajectoryOpened,
        TrajectoryStopped,
        TrajectorySuspended,
    )
    from civic_common.events.envelope import Envelope

    now = datetime.now(UTC)
    later = now + timedelta(minutes=1)  # a lifecycle fact after the opening
    stream = []
    for nationality, category, status, count in PEOPLE:
        for _ in range(count):
            person, trajectory = uuid.uuid4(), uuid.uuid4()
            stream.append(
                (
                    PersonRegistered(
                        person_id=person,
                        registered_at=now,
                        municipality_nis=nis,
                        nationality=nationality,
                        residence_category=category,
                        agency="agii",
                        # So trajecten opens none itself: this test publishes the trajectories.
                        target_group="not_in_target_group",
                    ),
                    person,
                    1,
                )
            )
            if status is None:
                continue
            common = {"trajectory_id": trajectory, "person_id": person}
            stream.append(
                (
                    TrajectoryOpened(
                        **common,
                        kind="inburgeringstraject",
                        template_version="2025.1",
                        opened_at=now,
                        municipality_nis=nis,
                    ),
                    trajectory,
                    1,
                )
            )
            if status == "completed":
                stream.append(
                    (
                        TrajectoryCompleted(
                            **common,
                            occurred_at=later,
                            actor="x",
                            attest_number=f"A-{trajectory}",
                            kind="inburgeringstraject",
                            template_version="2025.1",
                            municipality_nis=nis,
                        ),
                        trajectory,
                        2,
                    )
                )
            elif status == "stopped":
                stream.append(
                    (
                        TrajectoryStopped(
                            **common, occurred_at=later, actor="x", reason="verhuisd"
                        ),
                        trajectory,
                        2,
                    )
                )
            elif status == "suspended":
                stream.append(
                    (
                        TrajectorySuspended(
                            **common, occurred_at=later, actor="x", reason="ziekte"
                        ),
                        trajectory,
                        2,
                    )
                )
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event, key, sequence in stream:
            envelope = Envelope(type=event.event_type, source="/civic/e2e", partitionkey=str(key),
                                sequence=sequence, data=event.model_dump(mode="json"))  # fmt: skip
            await producer.send_and_wait(
                system.topic_prefix + event.topic,
                envelope.value(),
                key=str(key).encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
    finally:
        await producer.stop()


Cell = tuple[str, int, str]  # (report, row index, column)


def model(tables: dict[str, list[dict]]):
    """The attacker's linear model of the newcomer tables of one municipality and month: one
    unknown per (nationality, residence category, trajectory status or none), every count cell
    a sum of unknowns, as the reports define them. -> (unknowns, {cell: its unknowns})."""
    rows = {report: tables[report][0]["rows"] for report in NEWCOMER_REPORTS}
    origins = sorted(
        {(r["nationality"], r["residence_category"]) for r in rows["intakes-per-month"]}
    )
    unknowns = [(nat, cat, s) for nat, cat in origins for s in (None, *STATUSES)]
    cells: dict[Cell, list[int]] = {}

    def where(test) -> list[int]:
        return [i for i, u in enumerate(unknowns) if test(*u)]

    for n, r in enumerate(rows["intakes-per-month"]):
        key = (r["nationality"], r["residence_category"])
        cells[("intakes-per-month", n, "intakes")] = where(lambda a, b, s, k=key: (a, b) == k)
    shown = {r["status"] for r in rows["trajectories-per-month"]}
    for n, r in enumerate(rows["trajectories-per-month"]):
        cells[("trajectories-per-month", n, "trajectories")] = where(
            lambda a, b, s, lab=r["status"]: s is not None and STATUS_LABELS[s] == lab
        )
    for status in STATUSES:  # a status without a row: none of them
        if STATUS_LABELS[status] not in shown:
            cells[("trajectories-per-month", -1, status)] = where(lambda a, b, s, x=status: s == x)

    def stand(report: str, n: int, r: dict, origin: tuple | None) -> None:
        def mine(a, b, s) -> bool:
            return s is not None and (origin is None or (a, b) == origin)

        cells[(report, n, "started")] = where(mine)
        for status, column in STATUS_COLUMNS.items():
            if column in r:
                cells[(report, n, column)] = where(
                    lambda a, b, s, x=status, m=mine: m(a, b, s) and s == x
                )

    [status_row] = rows["trajectory-status"]
    stand("trajectory-status", 0, status_row, None)
    [region_row] = rows["newcomers-per-region-and-agency"]
    cells[("newcomers-per-region-and-agency", 0, "intakes")] = where(lambda a, b, s: True)
    stand("newcomers-per-region-and-agency", 0, region_row, None)
    by_origin = {
        (r["nationality"], r["residence_category"]) for r in rows["trajectory-status-by-origin"]
    }
    for n, r in enumerate(rows["trajectory-status-by-origin"]):
        stand("trajectory-status-by-origin", n, r, (r["nationality"], r["residence_category"]))
    for origin in origins:
        if origin not in by_origin:  # no row: no trajectory of that origin
            cells[("trajectory-status-by-origin", -1, str(origin))] = where(
                lambda a, b, s, o=origin: s is not None and (a, b) == o
            )
    return unknowns, cells


def value(tables: dict[str, list[dict]], cell: Cell) -> int | None:
    report, n, column = cell
    if n < 0:
        return 0  # a row that is not there: zero, and published as such
    return tables[report][0]["rows"][n][column]


def attack(tables: dict[str, list[dict]]) -> dict[Cell, tuple[float, float]]:
    """For every hidden count, the smallest and largest value it can have given every
    published count of every table (each a linear relation between unknowns), that every
    hidden count is at least 1 (zeros are shown) and that no unknown is negative."""
    import math

    from scipy.optimize import linprog

    unknowns, cells = model(tables)
    published = {c: v for c in cells if (v := value(tables, c)) is not None}
    hidden = [c for c in cells if c not in published]

    def row(cell: Cell) -> list[float]:
        return [1.0 if i in cells[cell] else 0.0 for i in range(len(unknowns))]

    found = {}
    for cell in hidden:
        ends = []
        for sign in (1, -1):
            result = linprog(
                [sign * x for x in row(cell)],
                A_eq=[row(c) for c in published] or None,
                b_eq=[published[c] for c in published] or None,
                A_ub=[[-x for x in row(c)] for c in hidden] or None,
                b_ub=[-1] * len(hidden) or None,
                bounds=(0, None),
                method="highs",
            )
            assert result.status in (0, 3), result.message
            ends.append(math.inf if result.status == 3 else sign * result.fun)
        high = ends[1] if math.isinf(ends[1]) else math.floor(ends[1] + 1e-6)
        found[cell] = (math.ceil(ends[0] - 1e-6), high)
    return found


def primary_only(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """What was shared before: each small count hidden on its own."""
    out = {}
    for report, [table] in tables.items():
        counts = {c["key"] for c in table["columns"] if c["kind"] == "count"}
        rows = [
            {k: None if k in counts and v and 0 < v < THRESHOLD else v for k, v in r.items()}
            for r in table["rows"]
        ]
        out[report] = [table | {"rows": rows}]
    return out


def recovered(tables: dict[str, list[dict]], truth: dict[str, list[dict]]) -> list[str]:
    """Every hidden count the attacker pins down, or knows to be small."""
    out = []
    for cell, (low, high) in attack(tables).items():
        true = value(truth, cell)
        assert low <= true <= high, (cell, low, high, true)
        if low == high or (0 < true < THRESHOLD and high < THRESHOLD):
            out.append(f"{cell}: {true} in [{low}, {high}]")
    return out


async def test_no_suppressed_count_a_partner_receives_can_be_recovered_across_its_tables(
    system, auth, infra, partner_token
):
    """A municipality's newcomer tables as a partner (its OCMW) receives them: the named
    subtraction attacks of issue #13 and every linear relation between the published cells of
    all five tables together recover no suppressed count, nor show one to be small. The same
    attack on the tables as they were shared before (each small count hidden on its own)
    recovers several: the attack has teeth."""
    import random

    from civic_common.testing.waiting import eventually

    url = system.urls["rapportage"]
    nis = f"7{random.randrange(1000, 9999)}"
    total = sum(n for *_, n in PEOPLE)
    await publish_newcomers(system, infra, nis)
    analyst = auth("analyst")
    ocmw = await partner_token(f"ocmw-{nis}", "rapportage.reports", municipality=nis)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        seen: dict = {}

        async def all_in() -> list | None:
            got = await http.get(
                "/api/v1/reports/trajectory-status",
                params={"municipality_nis": nis},
                headers=analyst,
            )
            rows = seen["rows"] = got.json()["tables"][0]["rows"]
            return rows if rows and rows[0]["started"] == total - 1 and rows[0]["stopped"] else None

        try:
            await eventually(all_in, within=240)
        except AssertionError as exc:
            raise AssertionError(f"the newcomers did not all arrive: {seen}") from exc
        truth, shared = {}, {}
        for report in NEWCOMER_REPORTS:
            inside = await http.get(
                f"/api/v1/reports/{report}", params={"municipality_nis": nis}, headers=analyst
            )
            truth[report] = inside.json()["tables"]
            outside = await http.get(f"/partners/v1/reports/{report}", headers=ocmw)
            assert outside.status_code == 200, outside.text
            shared[report] = outside.json()["tables"]

    # Nothing published differs from the truth; every small count is hidden.
    for report in NEWCOMER_REPORTS:
        for mine, true in zip(shared[report][0]["rows"], truth[report][0]["rows"], strict=True):
            for key, v in mine.items():
                assert v is None or v == true[key], (report, key)
                if isinstance(true[key], int) and 0 < true[key] < THRESHOLD:
                    assert v is None, (report, key, "a small count must be hidden")

    # The attacks as they were seen. (1) The person without a trajectory: the region's intakes
    # minus those shown per nationality.
    intakes = shared["intakes-per-month"][0]["rows"]
    region_total = shared["newcomers-per-region-and-agency"][0]["rows"][0]["intakes"]
    hidden = [r for r in intakes if r["intakes"] is None]
    if region_total is not None and hidden:
        rest = region_total - sum(r["intakes"] for r in intakes if r["intakes"] is not None)
        assert rest > len(hidden), "each hidden nationality would be exactly 1"
    # (2) Stopped = started minus the other statuses, each taken from any table that shows it.
    stand = shared["trajectory-status"][0]["rows"][0]
    per_month = {
        r["status"]: r["trajectories"] for r in shared["trajectories-per-month"][0]["rows"]
    }
    region = shared["newcomers-per-region-and-agency"][0]["rows"][0]

    def shown(column: str, status: str | None) -> int | None:
        for v in (stand.get(column), region.get(column), per_month.get(status or "", None)):
            if v is not None:
                return v
        return None

    assert stand["stopped"] is None
    parts = [shown("started", None)] + [
        shown(STATUS_COLUMNS[s], STATUS_LABELS[s]) for s in ("opened", "suspended", "completed")
    ]
    assert None in parts, "stopped would be started minus running, suspended and completed"

    # (3) Every linear relation between the published cells of the five tables at once.
    assert recovered(shared, truth) == []
    before = recovered(primary_only(truth), truth)
    assert len(before) >= 2, before
