"""Dutch words for the codes the API uses, and plain-Dutch validation messages."""

from typing import Any

from pydantic import ValidationError

from civic_common.agencies import display
from civic_common.web.formats import country_name, language_name
from intake.domain.candidacy import ROLE_LABELS
from intake.reference import municipalities

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
    "agency": "Agentschap",
    "merged_from": "Samengevoegd dossier",
    "merged_into": "Samengevoegd in",
    "reason": "Reden van het verzoek",
    "transfer_reason": "Reden van de overdracht",
    "enterprise_number": "Ondernemingsnummer (KBO)",
    "name": "Naam",
    "organisation_type": "Soort organisatie",
    "staff_size": "Aantal medewerkers",
    "kind": "Soort kandidatuur",
    "call_id": "Oproep (id)",
    "participant_roles": "Deelnemers",
    "motivation": "Motivatie",
    "theme": "Thema van de vorming",
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
    "organisation_type": {
        "local_government": "lokaal bestuur",
        "ocmw": "OCMW",
        "care_and_welfare": "zorg en welzijn",
        "school": "school",
        "non_profit": "vzw",
        "company": "onderneming",
        "other": "andere",
    },
    "kind": {
        "learning_and_coaching": "leer- en coachingstraject",
        "custom_training": "vorming op maat",
    },
    "participant_roles": dict(ROLE_LABELS),
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
    "transferred": "overgedragen",
    "merged": "samengevoegd met een ander dossier (dit dossier blijft)",
    "merged_into": "samengevoegd in een ander dossier",
}
HINTS = {
    "insz": "11 cijfers; punten en streepjes mogen.",
    "municipality_nis": "Typ de eerste letters van de gemeente.",
    "nationality": "Typ de naam van het land, bv. Syrië.",
    "languages": "Typ de namen, gescheiden door komma's, bv. Arabisch, Frans.",
    "contact_language": "Typ de naam, bv. Dari.",
    "interpreter_language": "Typ de naam, bv. Dari.",
    "postal_code": "4 cijfers.",
    "enterprise_number": "10 cijfers, bv. 0403.170.701; BE, punten en spaties mogen.",
    "agency": "Typ de naam, bv. Atlas of IN-Gent.",
    "theme": "Alleen voor een vorming op maat.",
    "call_id": "Verplicht voor een leer- en coachingstraject: de id van de oproep bij trajecten.",
}
PATTERN_MESSAGES = {
    "municipality_nis": "Kies een gemeente uit de lijst.",
    "postal_code": "Een postcode telt 4 cijfers.",
    "nationality": "Kies een land uit de lijst, bv. Syrië.",
    "languages": "Kies talen uit de lijst, bv. Arabisch, Dari.",
    "contact_language": "Kies een taal uit de lijst, bv. Dari.",
    "interpreter_language": "Kies een taal uit de lijst, bv. Dari.",
    "agency": "Kies een agentschap uit de lijst, bv. Atlas.",
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
    if kind in ("int_type", "int_parsing"):
        return "Geef een geheel getal."
    if kind in ("greater_than_equal", "less_than_equal"):
        return "Dit getal is te klein of te groot."
    if kind == "too_short":
        return "Kies er minstens één."
    if kind.startswith("uuid"):
        return "Geef een geldige id (of laat leeg)."
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return "Deze waarde klopt niet."


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One Dutch message per form field (the first error of each)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        errors.setdefault(field, dutch_message(field, dict(error)))
    return errors


def in_words(field: str, value: Any) -> str:
    """A value of the person's history as people say it: names of languages, countries,
    municipalities and agencies, the choices' words, dates as dd/mm/jjjj, yes or no."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return ", ".join(in_words(field, item) for item in value)
    text = str(value)
    if field in ("languages", "contact_language", "interpreter_language"):
        return language_name(text)
    if field == "nationality":
        return country_name(text)
    if field == "municipality_nis":
        known = municipalities().get(text)
        return known.name if known else text
    if field == "agency":
        return display(text)
    if field == "target_group":
        return TARGET_GROUPS.get(text, text)
    if field in CHOICES:
        return CHOICES[field].get(text, text)
    if field == "birth_date" and len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text
