"""The interpreter registry: tiers, languages paired with Dutch, modalities, where and when an
interpreter works. Pure: no I/O."""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


class Tier(StrEnum):
    CERTIFIED = "certified"  # gecertificeerd sociaal tolk, Vlaams Register
    ASPIRANT = "aspirant"  # aspirant-tolk
    LANGUAGE_ASSISTANT = "language_assistant"  # taalhulp


class Modality(StrEnum):
    ON_SITE = "on_site"  # ter plaatse
    PHONE = "phone"  # telefonisch
    VIDEO = "video"


class Relation(StrEnum):
    PREFERRED = "preferred"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int  # 0 = Monday, local time in Brussels
    start: time
    end: time


@dataclass(frozen=True)
class AvailabilityException:
    """A one-off change to the weekly pattern: extra hours (available) or a gap (not)."""

    starts_at: datetime
    ends_at: datetime
    available: bool


@dataclass(frozen=True)
class Leave:
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Certificate:
    number: str
    valid_from: date
    valid_until: date

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class Interpreter:
    id: UUID
    name: str
    tier: Tier
    languages: frozenset[str]  # each paired with Dutch
    modalities: frozenset[Modality]
    regions: frozenset[str]
    latitude: float
    longitude: float
    travel_range_km: float
    max_assignments_per_week: int
    certificate: Certificate | None = None
    weekly: tuple[WeeklyWindow, ...] = ()
    exceptions: tuple[AvailabilityException, ...] = ()
    leave: tuple[Leave, ...] = ()
    organisations: dict[str, Relation] = field(default_factory=dict)
    account: str | None = None  # the sign-in subject of the interpreter, for their own pages
    active: bool = True
    version: int = 1

    def certified_on(self, day: date) -> bool:
        return (
            self.tier is Tier.CERTIFIED
            and self.certificate is not None
            and self.certificate.valid_on(day)
        )

    def on_leave(self, slot: "Slot") -> "Leave | None":
        """The leave that overlaps ``slot``, if any."""
        return next(
            (
                lv
                for lv in self.leave
                if lv.first_day <= slot.last_day and slot.first_day <= lv.last_day
            ),
            None,
        )

    def available(self, slot: "Slot") -> bool:
        """Within the weekly pattern or an extra window, not on leave, not in a gap."""
        if self.on_leave(slot) is not None:
            return False
        if any(
            not e.available and e.starts_at < slot.ends_at and slot.starts_at < e.ends_at
            for e in self.exceptions
        ):
            return False
        if any(
            e.available and e.starts_at <= slot.starts_at and slot.ends_at <= e.ends_at
            for e in self.exceptions
        ):
            return True
        return slot.first_day == slot.last_day and any(
            w.weekday == slot.weekday and w.start <= slot.start and slot.end <= w.end
            for w in self.weekly
        )


@dataclass(frozen=True)
class Slot:
    """A time range with its Brussels wall-clock view: computed once per request, checked
    against many interpreters."""

    starts_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date
    weekday: int
    start: time
    end: time

    @classmethod
    def of(cls, starts_at: datetime, ends_at: datetime) -> "Slot":
        local_start, local_end = starts_at.astimezone(BRUSSELS), ends_at.astimezone(BRUSSELS)
        return cls(
            starts_at,
            ends_at,
            local_start.date(),
            local_end.date(),
            local_start.weekday(),
            local_start.time(),
            local_end.time(),
        )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; road distance is longer, the travel range allows for that."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


# Where a place is when a request names only its municipality: the province's main city.
# The first digit(s) of a NIS code give the province (Brussels: 21).
PROVINCE_CENTRES: dict[str, tuple[str, float, float]] = {
    "21": ("Brussel", 50.8467, 4.3525),
    "1": ("Antwerpen", 51.2194, 4.4025),
    "23": ("Vlaams-Brabant", 50.8798, 4.7005),
    "24": ("Vlaams-Brabant", 50.8798, 4.7005),
    "25": ("Waals-Brabant", 50.6681, 4.6118),
    "3": ("West-Vlaanderen", 51.2093, 3.2247),
    "4": ("Oost-Vlaanderen", 51.0543, 3.7174),
    "5": ("Henegouwen", 50.4541, 3.9523),
    "6": ("Luik", 50.6326, 5.5797),
    "7": ("Limburg", 50.9307, 5.3325),
    "8": ("Luxemburg", 49.6833, 5.8167),
    "9": ("Namen", 50.4674, 4.8718),
}


class UnknownMunicipality(ValueError):
    """A NIS code whose province cannot be placed."""

    def __init__(self, nis: str) -> None:
        super().__init__(f"municipality {nis!r} lies in no known province")
        self.nis = nis


def place_of_municipality(nis: str) -> tuple[str, float, float]:
    """(region, latitude, longitude) of a municipality, from its NIS code's province."""
    place = PROVINCE_CENTRES.get(nis[:2]) or PROVINCE_CENTRES.get(nis[:1])
    if place is None:
        raise UnknownMunicipality(nis)
    return place
