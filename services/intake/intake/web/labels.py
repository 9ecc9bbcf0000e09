"""Dutch words for the codes the API uses, and plain-Dutch validation messages."""

from typing import Any

FIELDS = {
    "insz": "INSZ (rijksregister- of bisnummer)",
    "given_name": "Voornaam",
    "family_name": "Familienaam",
    "birth_date": "Geboortedatum",
    "sex": "Geslacht",
    "nationality": "Nationaliteit",
    "municipality_nis": "Gemeente",
    "street": "Straat",
    "house_number": "Huisnummer",
    "postal_code": "Postcode",
    "languages": "Talen",
    "contact_language": "Contacttaal",
    "interpreter_language": "Tolk nodig in",
    "interpreter_modality": "Tolk bij voorkeur",
    "residence_category": "Verblijfscategorie",
    "household": "Gezin",
    "education": "Scholing",
    "literacy": "Geletterdheid",
    "dutch_level": "Niveau Nederlands",
    "needs_childcare": "Kinderopvang nodig",
    "needs_mobility_support": "Hulp bij mobiliteit nodig",
    "consent_data_sharing": "Toestemming om gegevens te delen",
    "legal_basis": "Rechtsgrond van het delen",
    "target_group": "Doelgroep",
    "target_group_reason": "Reden doelgroep",
    "target_group_rules_version": "Versie doelgroepregels",
    "possible_duplicates": "Mogelijke dubbels",
    "erased_at": "Gewist op",
}
CHOICES: dict[str, dict[str, str]] = {
    "sex": {"female": "vrouw", "male": "man", "x": "X"},
    "interpreter_modality": {"on_site": "ter plaatse", "phone": "telefonisch", "video": "video"},
    "residence_category": {
        "recognised_refugee": "erkend vluchteling",
        "subsidiary_protection": "subsidiair beschermd",
        "family_reunification": "gezinshereniging",
        "labour_migrant": "arbeidsmigrant",
        "eu_citizen": "EU-burger",
        "student": "student",
        "temporary_protection": "tijdelijke bescherming",
        "international_protection_applicant": "verzoeker internationale bescherming",
        "other": "andere",
    },
    "education": {
        "none": "geen",
        "primary": "lager onderwijs",
        "lower_secondary": "lager secundair",
        "upper_secondary": "hoger secundair",
        "higher": "hoger onderwijs",
        "unknown": "onbekend",
    },
    "literacy": {
        "literate": "geletterd in het Latijnse schrift",
        "literate_other_script": "geletterd in een ander schrift",
        "low_literate": "laaggeletterd",
        "not_literate": "niet geletterd",
    },
    "dutch_level": {
        "none": "geen",
        **{level: level for level in ("A1", "A2", "B1", "B2", "C1", "C2")},
    },
    "legal_basis": {
        "consent": "toestemming",
        "legal_obligation": "wettelijke verplichting",
        "public_task": "taak van algemeen belang",
    },
}
TARGET_GROUPS = {
    "obligated": "verplichte inburgeraar",
    "entitled": "rechthebbende",
    "not_in_target_group": "niet in de doelgroep",
    None: "nog niet te bepalen",
}
ACTIONS = {
    "registered": "geregistreerd",
    "corrected": "verbeterd",
    "confirmed_distinct": "bevestigd als andere persoon",
    "erased": "gewist",
}
HINTS = {
    "insz": "11 cijfers; punten en streepjes mogen.",
    "municipality_nis": "Typ de eerste letters van de gemeente.",
    "nationality": "Landcode met twee letters, bv. SY voor Syrië.",
    "languages": "Taalcodes gescheiden door komma's, bv. ar, fr.",
    "postal_code": "4 cijfers.",
}
PATTERN_MESSAGES = {
    "municipality_nis": "Kies een gemeente uit de lijst.",
    "postal_code": "Een postcode telt 4 cijfers.",
    "nationality": "Geef een landcode van twee letters, bv. SY.",
    "languages": "Geef taalcodes zoals ar, fr of prs.",
    "contact_language": "Geef een taalcode zoals ar, fr of prs.",
    "interpreter_language": "Geef een taalcode zoals ar, fr of prs.",
}


def dutch_message(field: str, error: dict[str, Any]) -> str:
    """A pydantic error in words a counter employee understands."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "Vul dit veld in."
    if kind == "string_too_long":
        return f"Te lang: hoogstens {context.get('max_length')} tekens."
    if kind == "string_too_short":
        return "Vul dit veld in."
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(field, "Dit formaat klopt niet.")
    if kind.startswith("date"):
        return "Geef een geldige datum."
    if kind == "literal_error":
        return "Kies een waarde uit de lijst."
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return "Deze waarde klopt niet."
