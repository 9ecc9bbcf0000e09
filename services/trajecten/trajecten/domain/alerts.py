"""What a partner's operational contact is told, in Dutch, per alert. Pure, no I/O; no personal
data: alerts are about subscriptions, never about people."""

import re
from collections.abc import Mapping
from typing import Any

FAILING = "trajecten.subscription.failing.v1"
DISABLED = "trajecten.subscription.disabled.v1"
BASIS_EXPIRING = "trajecten.legal-basis.expiring.v1"

EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def email_problem(address: str) -> str | None:
    if len(address) > 254 or not EMAIL.match(address):
        return "geen geldig e-mailadres"
    return None


def message(alert_type: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, text) of the mail for one alert."""
    sub = data.get("subscription_id", "?")
    if alert_type == FAILING:
        code = data.get("last_status_code")
        return (
            f"Webhooks mislukken voor abonnement {sub}",
            f"De laatste {data.get('consecutive_failures')} pogingen om webhooks af te leveren "
            f"voor abonnement {sub} ({data.get('organisation')}) mislukten"
            + (f" (laatste HTTP-status {code})" if code else " (geen antwoord)")
            + f". Na {data.get('disable_after_failures')} mislukte pogingen na elkaar wordt het "
            "abonnement uitgeschakeld. Bekijk het afleverlogboek in het partnerportaal.",
        )
    if alert_type == DISABLED:
        return (
            f"Abonnement {sub} is uitgeschakeld",
            f"Abonnement {sub} ({data.get('organisation')}) werd uitgeschakeld na "
            f"{data.get('consecutive_failures')} mislukte afleverpogingen na elkaar. "
            "Nieuwe gebeurtenissen wachten tot u het weer inschakelt (POST "
            f"/partners/v1/subscriptions/{sub}/enable of in het partnerportaal); verstuur "
            "daarna wat niet aankwam opnieuw.",
        )
    if alert_type == BASIS_EXPIRING:
        return (
            f"Rechtsgrond {data.get('legal_basis')} loopt af op {data.get('valid_until')}",
            f"De rechtsgrond {data.get('legal_basis')} waaronder abonnement {sub} "
            f"({data.get('organisation')}) gegevens ontvangt, loopt af op "
            f"{data.get('valid_until')}. Daarna wordt er niets meer onder afgeleverd. Neem "
            "contact op met de beheerder voor een nieuwe rechtsgrond.",
        )
    return (f"Melding {alert_type}", f"Melding {alert_type} voor abonnement {sub}.")
