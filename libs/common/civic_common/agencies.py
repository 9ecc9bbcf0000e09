"""The agencies of the Flemish integration policy: reference data, one code each.

The code is the lower-case organisation code staff tokens carry in their ``org`` claim and
trajecten stores (``agii``, ``atlas``, ``in-gent``); the display name is how readers know it
(``AgII``). ``canonical`` turns any spelling met in files, forms and older data (``AgII``,
``AGII``, ``Agentschap Integratie en Inburgering``) into the code. Reference data, not domain
logic: what an agency may do stays in each service.
"""

from collections.abc import Mapping
from types import MappingProxyType

# code -> display name, in the order reports list them.
AGENCIES: Mapping[str, str] = MappingProxyType(
    {
        "agii": "AgII",
        "atlas": "Atlas",
        "in-gent": "IN-Gent",
        "huis-van-het-nederlands-brussel": "Huis van het Nederlands Brussel",
    }
)

# Other spellings of the same agencies, lower case, as they occur in registrations.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "agentschap integratie en inburgering": "agii",
        "atlas antwerpen": "atlas",
        "atlas integratie & inburgering antwerpen": "atlas",
        "atlas integratie en inburgering antwerpen": "atlas",
        "ingent": "in-gent",
        "in gent": "in-gent",
        "huis van het nederlands": "huis-van-het-nederlands-brussel",
    }
)


def _folded(value: str) -> str:
    return " ".join(value.strip().lower().split())


def canonical(value: str, known: Mapping[str, str] = AGENCIES) -> str | None:
    """The code of the agency ``value`` names (code, display name or alias, in any case), or
    None when it names none of ``known`` (code -> display name)."""
    folded = _folded(value)
    if folded in known:
        return folded
    for code, name in known.items():
        if _folded(name) == folded:
            return code
    alias = _ALIASES.get(folded)
    return alias if alias in known else None


def display(code: str, known: Mapping[str, str] = AGENCIES) -> str:
    """The name readers know an agency by; an unknown code as it is."""
    return known.get(code, code)
