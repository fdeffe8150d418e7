"""The "your rights" paragraph of every answer to a data-subject request (REQ-24, REQ-45,
REQ-46, REQ-15): one place, per clinic country and regime, in the active language.

Every answer, extension and refusal of a request — access, rectification, erasure,
restriction, objection, portability, withdrawal — names the supervisory authority of the
clinic's country and how to reach it (SE: IMY and its e-service "Lämna ett klagomål";
NO: Datatilsynet, whose decisions are appealed to Personvernnemnda) and the right to go
to court (GDPR art. 77 and 79). An answer to a request for correction names the
health-law channel too (NO-human: Statsforvalteren, helsepersonelloven § 42; SE-human:
IVO; vets: Mattilsynet / Jordbruksverket), whatever the outcome: a correction may be
refused in part. The privacy notice names the same authorities from :data:`AUTHORITIES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from praksis.clinics.models import Regime

ANSWERED = "answered"
EXTENDED = "extended"
REFUSED = "refused"
OUTCOMES = (ANSWERED, EXTENDED, REFUSED)


@dataclass(frozen=True)
class Authority:
    name: str
    url: str
    complaint_url: str = ""  # the e-service or page for complaints
    appeal_name: str = ""  # where its decisions are appealed
    appeal_url: str = ""


# The data-protection authority of each country (REQ-45).
AUTHORITIES = {
    "SE": Authority(
        name="Integritetsskyddsmyndigheten (IMY)",
        url="https://www.imy.se",
        complaint_url="https://www.imy.se/privatperson/utfora-arenden/lamna-ett-klagomal/",
    ),
    "NO": Authority(
        name="Datatilsynet",
        url="https://www.datatilsynet.no",
        complaint_url="https://www.datatilsynet.no",
        appeal_name="Personvernnemnda",
        appeal_url="https://www.personvernnemnda.no",
    ),
}

# Where a refused correction of a journal goes under health law (REQ-15, REQ-46, REQ-47).
HEALTH_CHANNELS = {
    Regime.SE_HUMAN: Authority(
        name="Inspektionen för vård och omsorg (IVO)", url="https://www.ivo.se"
    ),
    Regime.NO_HUMAN: Authority(name="Statsforvalteren", url="https://www.statsforvalteren.no"),
    Regime.NO_VET: Authority(name="Mattilsynet", url="https://www.mattilsynet.no"),
    Regime.SE_VET: Authority(name="Jordbruksverket", url="https://jordbruksverket.se"),
}


def authority(clinic) -> Authority:
    return AUTHORITIES[clinic.country]


def authority_line(clinic) -> str:
    """The authority's name and address in one line (for short texts and PDFs)."""
    found = authority(clinic)
    return f"{found.name}, {found.url.removeprefix('https://')}"


def complaint_sentence(clinic) -> str:
    """How to complain to the supervisory authority of the clinic's country."""
    found = authority(clinic)
    if clinic.country == "SE":
        return _(
            "The supervisory authority is %(name)s: use its e-service “Lämna ett klagomål” "
            "(%(url)s)."
        ) % {"name": found.name, "url": found.complaint_url}
    return _(
        "The supervisory authority is %(name)s (%(url)s); its decisions may be appealed to "
        "%(appeal)s (%(appeal_url)s)."
    ) % {
        "name": found.name,
        "url": found.url,
        "appeal": found.appeal_name,
        "appeal_url": found.appeal_url,
    }


def court_sentence() -> str:
    return _(
        "You may also take the matter to a court of law (GDPR art. 77 and 79); complaining "
        "to the authority does not take that right away."
    )


def health_sentence(clinic) -> str:
    """Where a refused correction of the journal may be taken, under the clinic's regime
    ("" where no health law applies)."""
    channel = HEALTH_CHANNELS.get(clinic.regime)
    if channel is None:
        return ""
    values = {"name": channel.name, "url": channel.url}
    if clinic.regime == Regime.NO_HUMAN:
        return (
            _(
                "If we have not corrected your journal as you asked, the refusal and its reasons "
                "are recorded in the journal, and you may appeal to %(name)s (helsepersonelloven "
                "§ 42; %(url)s)."
            )
            % values
        )
    if clinic.regime == Regime.SE_HUMAN:
        return (
            _(
                "If we have not corrected your journal as you asked, we note in the journal that "
                "you consider the information wrong, and you may complain to %(name)s "
                "(%(url)s)."
            )
            % values
        )
    return (
        _(
            "If we have not corrected your animal's journal as you asked, the refusal is "
            "recorded in the journal, and you may tell %(name)s, which supervises animal-health "
            "personnel (%(url)s)."
        )
        % values
    )


def rights_paragraph(clinic, *, kind: str = "", outcome: str = ANSWERED) -> str:
    """The paragraph that ends every answer, extension or refusal of a request, in the
    active language: the supervisory authority, the court, and for a correction the
    health-law channel."""
    lead = {
        ANSWERED: _("If you are not satisfied with our answer, you may complain to the "
                    "supervisory authority."),
        EXTENDED: _("If you disagree with the extension, you may complain to the supervisory "
                    "authority."),
        REFUSED: _("You may complain about our refusal to the supervisory authority."),
    }[outcome]  # fmt: skip
    sentences = [lead, complaint_sentence(clinic), court_sentence()]
    if kind == "rectification":
        sentences.append(health_sentence(clinic))
    return " ".join(s for s in sentences if s)


def with_rights(text: str, clinic, *, kind: str = "", outcome: str = ANSWERED) -> str:
    """``text`` followed by the rights paragraph, unless it already ends with it."""
    paragraph = rights_paragraph(clinic, kind=kind, outcome=outcome)
    text = (text or "").strip()
    if paragraph in text:
        return text
    return f"{text}\n\n{paragraph}" if text else paragraph
