"""Disclosure control across linked tables: the audit an attacker would do, in small."""

import pytest

from rapportage.domain.disclosure import (
    Atom,
    Contribution,
    UnlinkedCell,
    protect,
)
from rapportage.domain.reports import Column, Table

# Persons by (status of their trajectory): 12 running, 5 completed, 1 stopped.
ATOMS = [Atom(("opened",), 12), Atom(("completed",), 5), Atom(("stopped",), 1)]
STAND = Table(
    "Stand",
    (Column("nis", "Gemeente", "label"), Column("started", "Gestart"),
     Column("running", "Lopend"), Column("stopped", "Stopgezet"),
     Column("completed", "Afgerond")),
    (("71016", 18, 12, 1, 5),),
)  # fmt: skip
PER_STATUS = Table(
    "Per stand",
    (Column("status", "Stand", "label"), Column("n", "Trajecten")),
    (("lopend", 12), ("afgerond", 5), ("stopgezet", 1)),
)
LABELS = {"opened": "lopend", "completed": "afgerond", "stopped": "stopgezet"}
COLUMNS = {"opened": "running", "completed": "completed", "stopped": "stopped"}


def stand(atom: Atom):
    yield Contribution(("71016",), "started")
    yield Contribution(("71016",), COLUMNS[atom.key[0]])


def per_status(atom: Atom):
    yield Contribution((LABELS[atom.key[0]],), "n")


def test_started_minus_the_other_statuses_no_longer_gives_the_stopped_one_back():
    found = protect([STAND, PER_STATUS], ATOMS, [stand, per_status], 5)
    [(_, started, running, stopped, completed)] = found.tables[0].rows
    other = dict(found.tables[1].rows)  # type: ignore[arg-type]
    assert stopped is None and other["stopgezet"] is None, "1 stopped is small, in both tables"
    # started − running − completed, each from whichever table shows it, is out of reach.
    parts = [started, running if running is not None else other["lopend"],
             completed if completed is not None else other["afgerond"]]  # fmt: skip
    assert None in parts
    assert found.secondary, "complementary suppressions were needed"
    assert any("andere tabellen" in n for n in found.tables[0].notes)


def test_a_linkage_that_does_not_add_up_to_the_published_count_stops_the_release():
    wrong = [Atom(("opened",), 11), *ATOMS[1:]]
    with pytest.raises(UnlinkedCell):
        protect([STAND], wrong, [stand], 5)


def test_a_rate_computed_from_a_hidden_count_is_hidden_too():
    table = Table(
        "Resultaten",
        (Column("component", "Onderdeel", "label"), Column("passed", "Geslaagd"),
         Column("failed", "Niet geslaagd"), Column("rate", "Slaagpercentage", "amount")),
        (("nt2", 9, 2, 81.8),),
        derived=(("rate", ("passed", "failed")),),
    )  # fmt: skip
    atoms = [Atom(("passed",), 9), Atom(("failed",), 2)]

    def cells(atom: Atom):
        yield Contribution(("nt2",), atom.key[0])

    [row] = protect([table], atoms, [cells], 5).tables[0].rows
    assert row[2] is None and row[3] is None
