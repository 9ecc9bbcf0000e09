"""Which legal basis a partner's request is made under: one an admin granted its client.

Every partner edge asks the same way: a request may name a basis (``legal_basis``); it must be
one of the bases in the token (granted at the issuer), else 403; a client holding exactly one
basis gets it without naming it.
"""

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal


def chosen_legal_basis(requested: str | None, by: Principal) -> str:
    granted = sorted(by.legal_bases)
    if requested is None:
        if len(granted) == 1:
            return granted[0]
        raise Problem(
            422,
            "Ongeldige invoer",
            f"Noem de rechtsgrond; toegekend: {', '.join(granted) or 'geen'}.",
            errors=[{"field": "legal_basis", "message": "noem de rechtsgrond"}],
        )
    if requested not in granted:
        raise Problem(
            403,
            "Geen toegang",
            f"Deze client mag rechtsgrond '{requested}' niet gebruiken; toegekend: "
            f"{', '.join(granted) or 'geen'}.",
            granted_legal_bases=granted,
        )
    return requested
