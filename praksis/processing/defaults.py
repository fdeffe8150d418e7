"""What each clinic profile's record of processing starts with, drawn from the seeds.

Seeds 000 (optician, SE-human), 001 (therapy, GDPR-only), 002 (veterinary, NO-vet) and
003/004 (dental, NO-human) list the purposes, bases, recipients, processors and retention
a real clinic of each kind promises. The texts are data, in all three notice languages;
the owner edits them in the staff UI. Retention is named by record type only: the text
comes from the retention engine. Demo processors have fictional names.
"""

from __future__ import annotations

from datetime import date


def T(sv: str, nb: str, en: str) -> dict[str, str]:
    return {"sv": sv, "nb": nb, "en": en}


CLIENTS = T("Kunder och patienter", "Kunder og pasienter", "Clients and patients")
THERAPY_CLIENTS = T("Kunder", "Kunder", "Clients")
OWNERS = T(
    "Djurägare (och uppgifter om deras djur)",
    "Dyreeiere (og opplysninger om dyrene deres)",
    "Animal owners (and information about their animals)",
)
VISITORS = T("Besökare på webbplatsen", "Besøkende på nettsidene", "Visitors to the website")
APPLICANTS = T("Arbetssökande", "Arbeidssøkere", "Job applicants")
CONTACTS = T("Personer som kontaktar oss", "Personer som kontakter oss", "People who contact us")
LEADS = T(
    "Nya kunder som bokar via en förmånsportal",
    "Nye kunder som bestiller via en fordelsportal",
    "New clients who book through a benefits portal",
)

NOBODY = T(
    "Ingen utanför kliniken, utom våra personuppgiftsbiträden.",
    "Ingen utenfor klinikken, bortsett fra våre databehandlere.",
    "No one outside the clinic, except our processors.",
)

SECURITY = T(
    "Åtkomst efter roll och behov; tvåfaktorsinloggning för personal med journalåtkomst; "
    "kryptering vid överföring och lagring; manipuleringssäker åtkomstlogg som granskas "
    "regelbundet; säkerhetskopior som provläses; personuppgiftsbiträdesavtal med alla "
    "leverantörer.",
    "Tilgang etter rolle og tjenstlig behov; tofaktorinnlogging for ansatte med "
    "journaltilgang; kryptering under overføring og lagring; manipuleringssikker "
    "tilgangslogg som kontrolleres jevnlig; sikkerhetskopier som testes; "
    "databehandleravtale med alle leverandører.",
    "Access by role and need; two-factor sign-in for staff who can open journals; "
    "encryption in transit and at rest; a tamper-evident access log that is reviewed "
    "regularly; tested backups; a data processing agreement with every supplier.",
)

MARKETING_LAW = {
    "SE": T(
        "Marknadsföringslagen (2008:486) 19 §",
        "Den svenske marknadsföringslagen (2008:486) 19 §",
        "Swedish Marketing Act (2008:486) section 19",
    ),
    "NO": T(
        "Den norska markedsføringsloven § 15",
        "Markedsføringsloven § 15",
        "Norwegian Marketing Control Act section 15",
    ),
}
COOKIE_LAW = {
    "SE": T(
        "Lagen (2022:482) om elektronisk kommunikation",
        "Den svenske loven om elektronisk kommunikasjon (2022:482)",
        "Swedish Electronic Communications Act (2022:482)",
    ),
    "NO": T(
        "Den norska ekomloven (från 1 januari 2025)",
        "Ekomloven (fra 1. januar 2025)",
        "Norwegian Electronic Communications Act (from 1 January 2025)",
    ),
}
ACCOUNTING_LAW = {
    "SE": T(
        "Bokföringslagen (1999:1078)",
        "Den svenske bokföringslagen (1999:1078)",
        "Swedish Accounting Act (1999:1078)",
    ),
    "NO": T("Den norska bokføringsloven", "Bokføringsloven", "Norwegian Bookkeeping Act"),
}
# The accounting law inside a sentence, named as its own country names it.
ACCOUNTING_IN_TEXT = {
    "SE": T("bokföringslagen", "den svenske bokföringslagen", "the Swedish Accounting Act"),
    "NO": T("den norska bokføringsloven", "bokføringsloven", "the Norwegian Bookkeeping Act"),
}
TAX_AUTHORITY = {
    "SE": T("Skatteverket", "Skatteverket (den svenske skattemyndigheten)",
            "Skatteverket, the Swedish Tax Agency"),
    "NO": T("Skatteetaten (den norska skattemyndigheten)", "Skatteetaten",
            "Skatteetaten, the Norwegian Tax Administration"),
}  # fmt: skip
# What covers injuries from a treatment outside health-care law (therapy, seed 001).
TREATMENT_INSURANCE = {
    "SE": T("behandlingsskadeförsäkringen", "behandlingsskadeforsikringen (svensk)",
            "treatment-injury insurance"),
    "NO": T("ansvarsförsäkringen", "ansvarsforsikringen", "liability insurance"),
}  # fmt: skip


def _in(template: dict, names: dict) -> dict:
    """Each language's template with that language's name put in (``{}``)."""
    return {lang: template[lang].format(names[lang]) for lang in template}


HUMAN_LAW = {
    "SE": T(
        "Patientdatalagen (2008:355) 3 kap.",
        "Den svenske patientdatalagen (2008:355) 3 kap.",
        "Swedish Patient Data Act (2008:355) chapter 3",
    ),
    "NO": T(
        "Helsepersonelloven §§ 39–40; pasientjournalloven",
        "Helsepersonelloven §§ 39–40; pasientjournalloven",
        "Norwegian Health Personnel Act sections 39–40; Patient Records Act",
    ),
}
# Art. 13(1)(d): the legitimate interest behind each use of art. 6(1)(f).
BOOKING_SECURITY = T(
    "Att hålla bokningen på webben säker: IP-adressen vid en bokning gör att vi kan spåra "
    "missbruk och angrepp.",
    "Å holde timebestillingen på nett sikker: IP-adressen ved en bestilling gjør at vi kan "
    "spore misbruk og angrep.",
    "Keeping online booking secure: the IP address of a booking lets us trace abuse and attacks.",
)
RECALL_INTEREST = T(
    "Att följa upp din syn: vi ringer dig när det intervall som står i din journal har gått, "
    "som våra kunder räknar med.",
    "Å følge opp synet ditt: vi ringer deg når intervallet i journalen din har gått, slik "
    "kundene våre regner med.",
    "Following up your eyesight: we call you when the interval in your journal has passed, "
    "as our clients expect.",
)
INQUIRY_INTEREST = T(
    "Att kunna svara och ringa tillbaka den som kontaktar oss, och minnas vad som frågades.",
    "Å kunne svare og ringe tilbake den som kontakter oss, og huske hva det ble spurt om.",
    "Being able to answer and call back whoever contacts us, and to remember what was asked.",
)
REQUEST_INTEREST = T(
    "Att kunna svara på din förfrågan om tid, och veta var nya patienter hittade oss (så "
    "att vi vet vilka av våra kanaler som fungerar).",
    "Å kunne svare på forespørselen din om time, og vite hvor nye pasienter fant oss (så vi "
    "vet hvilke av kanalene våre som virker).",
    "Answering your request for an appointment, and knowing where new patients found us (so "
    "that we know which of our channels work).",
)

BOOKED = T(
    "bokad tid och tjänst; IP-adressen vid bokning på webben (säkerhet)",
    "bestilt time og tjeneste; IP-adressen ved bestilling på nett (sikkerhet)",
    "the time and service booked; the IP address of an online booking (security)",
)


def _booking(clinic) -> dict:
    identity = {
        "optician": T(
            "namn, personnummer, e-post och telefonnummer",
            "navn, personnummer, e-post og telefonnummer",
            "name, personal identity number, e-mail and phone number",
        ),
        "therapy": T(
            "namn, födelsedatum (aldrig de fyra sista siffrorna), e-post och telefonnummer",
            "navn, fødselsdato (aldri de fire siste sifrene), e-post og telefonnummer",
            "name, birth date (never the last four digits), e-mail and phone number",
        ),
        "veterinary": T(
            "namn, adress, e-post och telefonnummer; djurets namn, art och chipnummer",
            "navn, adresse, e-post og telefonnummer; dyrets navn, art og ID-chip",
            "name, address, e-mail and phone number; the animal's name, species and ID chip",
        ),
        "dental": T(
            "namn, fødselsnummer, adress, e-post och telefonnummer",
            "navn, fødselsnummer, adresse, e-post og telefonnummer",
            "name, national identity number, address, e-mail and phone number",
        ),
    }[clinic.profile]
    return dict(
        key="booking",
        name=T("Tidsbokning", "Timebestilling", "Booking"),
        purpose=T(
            "Registrera och hantera bokningar gjorda på webbplatsen, per telefon eller på "
            "plats, och påminna dig om dem.",
            "Registrere og håndtere timer bestilt på nettsidene, per telefon eller i "
            "klinikken, og minne deg på dem.",
            "To register and manage appointments booked on the website, by phone or at the "
            "clinic, and to remind you of them.",
        ),
        legal_bases=["b", "f"],
        legitimate_interest=BOOKING_SECURITY,
        data_subjects=OWNERS if clinic.profile == "veterinary" else CLIENTS,
        data_categories={
            lang: f"{identity[lang][0].upper()}{identity[lang][1:]}; {BOOKED[lang]}"
            for lang in identity
        },
        recipients=NOBODY,
        retention_keys=["client", "booking_ip", "waitlist", "message", "sign_in"],
        services=["hosting", "journal_system", "email", "sms"],
    )


def _orders(clinic, *, what: dict, recipients: dict) -> dict:
    return dict(
        key="orders",
        name=T("Order, fakturering och bokföring", "Bestillinger, fakturering og regnskap",
               "Orders, invoicing and accounting"),
        purpose=what,
        legal_bases=["b", "c"],
        basis_detail=ACCOUNTING_LAW[clinic.country],
        data_subjects=OWNERS if clinic.profile == "veterinary" else CLIENTS,
        data_categories=T(
            "Namn, adress, köp och beställningar, betalningar, fakturor och kvitton.",
            "Navn, adresse, kjøp og bestillinger, betalinger, fakturaer og kvitteringer.",
            "Name, address, purchases and orders, payments, invoices and receipts.",
        ),
        recipients=recipients,
        retention_keys=["accounting"],
        services=["journal_system", "accounting", "hosting"],
    )  # fmt: skip


def _marketing(clinic, *, what: dict) -> dict:
    return dict(
        key="marketing",
        name=T("Marknadsföring", "Markedsføring", "Marketing"),
        purpose=what,
        legal_bases=["a"],
        basis_detail=MARKETING_LAW[clinic.country],
        data_subjects=OWNERS if clinic.profile == "veterinary" else CLIENTS,
        data_categories=T(
            "Namn, e-post, telefonnummer och ditt samtycke (när, hur och vilken text).",
            "Navn, e-post, telefonnummer og samtykket ditt (når, hvordan og hvilken tekst).",
            "Name, e-mail, phone number and your consent (when, how and which text).",
        ),
        recipients=NOBODY,
        retention_keys=["marketing_consent"],
        services=["email", "sms"],
    )


def _statistics(clinic, *, what: dict) -> dict:
    return dict(
        key="statistics",
        name=T("Besöksstatistik för webbplatsen", "Besøksstatistikk for nettsidene",
               "Website statistics"),
        purpose=what,
        legal_bases=["a"],
        basis_detail=COOKIE_LAW[clinic.country],
        data_subjects=VISITORS,
        data_categories=T(
            "Sidvisningar, webbläsartyp och hänvisande sida, utan koppling till andra "
            "uppgifter om dig.",
            "Sidevisninger, nettlesertype og henvisende side, uten kobling til andre "
            "opplysninger om deg.",
            "Page views, browser type and referring page, never linked to other data about "
            "you.",
        ),
        recipients=NOBODY,
        retention_note=T(
            "Bara i sammanställd form; ditt cookieval sparas i sex månader.",
            "Bare i sammenstilt form; valget ditt om informasjonskapsler lagres i seks "
            "måneder.",
            "Only in aggregate; your cookie choice is kept for six months.",
        ),
        services=["hosting"],
    )  # fmt: skip


def _inquiries(*, what: dict, bases: list[str], data: dict, note: dict) -> dict:
    return dict(
        key="inquiries",
        name=T("Frågor och kontakt", "Henvendelser", "Inquiries"),
        purpose=what,
        legal_bases=bases,
        legitimate_interest=INQUIRY_INTEREST if "f" in bases else {},
        data_subjects=CONTACTS,
        data_categories=data,
        recipients=NOBODY,
        retention_note=note,
        services=["email", "hosting"],
    )


def _optician(clinic) -> list[dict]:
    return [
        _booking(clinic),
        dict(
            key="journal",
            name=T("Journalföring", "Journalføring", "Patient records"),
            purpose=T(
                "Föra journal vid synundersökning, så som lagen om patientjournaler kräver.",
                "Føre journal ved synsundersøkelse, slik loven om pasientjournaler krever.",
                "To keep a journal of eye examinations, as the law on patient records requires.",
            ),
            legal_bases=["c"],
            special_basis="h",
            basis_detail=HUMAN_LAW[clinic.country],
            data_subjects=CLIENTS,
            data_categories=T(
                "Personnummer, namn, adress, telefonnummer och e-post; "
                "undersökningsresultat, ordinationer och anteckningar (hälsouppgifter); "
                "logg över vem som har öppnat journalen.",
                "Personnummer, navn, adresse, telefonnummer og e-post; undersøkelsesresultater, "
                "ordinasjoner og notater (helseopplysninger); logg over hvem som har åpnet "
                "journalen.",
                "Personal identity number, name, address, phone and e-mail; examination "
                "results, prescriptions and notes (health data); a log of who opened the "
                "journal.",
            ),
            recipients=T(
                "Bara behörig personal i kliniken. Vi lämnar inte ut uppgifter till tredje "
                "part, utom när lagen kräver det; varje utlämnande loggas.",
                "Bare autoriserte ansatte i klinikken. Vi utleverer ikke opplysninger til "
                "tredjeparter, unntatt når loven krever det; hver utlevering logges.",
                "Only authorised staff of the clinic. We do not disclose data to third "
                "parties unless the law requires it; every disclosure is logged.",
            ),
            retention_keys=["journal", "access_log"],
            services=["hosting", "journal_system"],
        ),
        _orders(
            clinic,
            what=T(
                "Koppla köp av glasögon, linser och synundersökningar till dig och din "
                "journal, fakturera och hantera avtalad delbetalning, och bokföra.",
                "Knytte kjøp av briller, linser og synsundersøkelser til deg og journalen din, "
                "fakturere og håndtere avtalt delbetaling, og føre regnskap.",
                "To link purchases of glasses, lenses and eye examinations to you and your "
                "journal, to invoice and handle agreed instalments, and to keep the books.",
            ),
            recipients=_in(
                T(
                    "Vår redovisningsbyrå (personuppgiftsbiträde); {} vid granskning.",
                    "Vårt regnskapsbyrå (databehandler); {} ved kontroll.",
                    "Our accountants (a processor); {} when it audits us.",
                ),
                TAX_AUTHORITY[clinic.country],
            ),
        ),
        dict(
            key="recall",
            name=T("Återkallelse", "Innkalling", "Recall"),
            purpose=T(
                "Kalla dig till ny synundersökning med det intervall som står i din journal, "
                "per telefon; påminnelser per e-post eller sms bara om du har sagt ja.",
                "Kalle deg inn til ny synsundersøkelse med intervallet i journalen din, per "
                "telefon; påminnelser på e-post eller SMS bare hvis du har sagt ja.",
                "To call you for a new eye examination at the interval set in your journal, "
                "by phone; reminders by e-mail or SMS only if you have said yes.",
            ),
            legal_bases=["f", "a"],
            legitimate_interest=RECALL_INTEREST,
            data_subjects=CLIENTS,
            data_categories=T(
                "Namn, telefonnummer, e-post, intervall och datum för senaste undersökning.",
                "Navn, telefonnummer, e-post, intervall og dato for siste undersøkelse.",
                "Name, phone number, e-mail, the interval and the date of the last examination.",
            ),
            recipients=NOBODY,
            retention_keys=["client"],
            services=["journal_system", "sms", "email"],
        ),
        _marketing(
            clinic,
            what=T(
                "Skicka nyheter och erbjudanden per e-post eller sms, bara om du har sagt ja. "
                "Du kan ångra dig när som helst.",
                "Sende nyheter og tilbud på e-post eller SMS, bare hvis du har sagt ja. Du kan "
                "trekke samtykket når som helst.",
                "To send news and offers by e-mail or SMS, only if you have said yes. You may "
                "withdraw at any time.",
            ),
        ),
        _statistics(
            clinic,
            what=T(
                "Räkna besök på webbplatsen, bara om du har godkänt statistikcookies.",
                "Telle besøk på nettsidene, bare hvis du har godtatt "
                "statistikk-informasjonskapsler.",
                "To count visits to the website, only if you have accepted statistics cookies.",
            ),
        ),
    ]


def _therapy(clinic) -> list[dict]:
    return [
        _booking(clinic),
        dict(
            key="journal",
            name=T(
                "Kundkort och behandlingsanteckningar",
                "Kundekort og behandlingsnotater",
                "Client card and treatment notes",
            ),
            purpose=_in(
                T(
                    "Behandla dig säkert: allergier och skador som är viktiga för "
                    "behandlingen, och datum och vad som kom fram vid varje behandling ({}).",
                    "Behandle deg trygt: allergier og skader som er viktige for behandlingen, "
                    "og dato og hva som kom fram ved hver behandling ({}).",
                    "To treat you safely: allergies and injuries that matter for the "
                    "treatment, and the date and anything notable of each treatment ({}).",
                ),
                TREATMENT_INSURANCE[clinic.country],
            ),
            legal_bases=["b"],
            special_basis="a",
            data_subjects=THERAPY_CLIENTS,
            data_categories=T(
                "Namn, adress, telefonnummer, födelsedatum; allergier och skador "
                "(hälsouppgifter); behandlingsanteckningar.",
                "Navn, adresse, telefonnummer, fødselsdato; allergier og skader "
                "(helseopplysninger); behandlingsnotater.",
                "Name, address, phone number, birth date; allergies and injuries (health "
                "data); treatment notes.",
            ),
            recipients=T(
                "Ingen. Det du berättar under behandlingen är konfidentiellt och delas inte.",
                "Ingen. Det du forteller under behandlingen er konfidensielt og deles ikke.",
                "No one. What you tell us during a treatment is confidential and not shared.",
            ),
            # The explicit consent's withdrawal and what follows (art. 9(2)(a), 17(1)(b)).
            retention_keys=["client", "journal", "health_notes"],
            services=["hosting"],
        ),
        _orders(
            clinic,
            what=_in(
                T(
                    "Anteckna produkter du köper så att du kan få rätt produkter igen, och "
                    "spara kvitton och fakturor enligt {}.",
                    "Notere produkter du kjøper så du kan få riktige produkter igjen, og "
                    "oppbevare kvitteringer og fakturaer etter {}.",
                    "To note the products you buy so that you get the right ones again, and "
                    "to keep receipts and invoices as {} requires.",
                ),
                ACCOUNTING_IN_TEXT[clinic.country],
            ),
            recipients=T(
                "Vår redovisningsbyrå (personuppgiftsbiträde).",
                "Vårt regnskapsbyrå (databehandler).",
                "Our accountants (a processor).",
            ),
        ),
        dict(
            key="leads",
            name=T(
                "Kunder via förmånsportal",
                "Kunder via fordelsportal",
                "Clients through a benefits portal",
            ),
            purpose=T(
                "Ta emot bokningar från en förmånsportal och stämma av portalens faktura, så "
                "att rätt betalning sker.",
                "Ta imot bestillinger fra en fordelsportal og avstemme portalens faktura, så "
                "riktig betaling skjer.",
                "To receive bookings from a benefits portal and reconcile the portal's invoice, "
                "so that the right payment is made.",
            ),
            legal_bases=["b"],
            data_subjects=LEADS,
            data_categories=T(
                "Namn, e-post och vald behandling.",
                "Navn, e-post og valgt behandling.",
                "Name, e-mail and the treatment chosen.",
            ),
            recipients=T(
                "Förmånsportalen (för faktureringen).",
                "Fordelsportalen (for faktureringen).",
                "The benefits portal (for invoicing).",
            ),
            retention_keys=["lead"],
            services=["benefits_portal", "email"],
        ),
        dict(
            key="photos",
            name=T("Bilder i sociala medier", "Bilder i sosiale medier", "Photos on social media"),
            purpose=T(
                "Publicera bilder där du syns, bara med ditt samtycke. Ångrar du dig tar vi "
                "ned bilden.",
                "Publisere bilder der du vises, bare med ditt samtykke. Trekker du samtykket, "
                "tar vi bildet ned.",
                "To publish photos in which you can be recognised, only with your consent. If "
                "you withdraw it, we take the photo down.",
            ),
            legal_bases=["a"],
            data_subjects=THERAPY_CLIENTS,
            data_categories=T(
                "Bild och ditt samtycke.",
                "Bilde og samtykket ditt.",
                "Photo and your consent.",
            ),
            recipients=T(
                "Besökare på våra sidor i sociala medier (offentligt).",
                "Besøkende på sidene våre i sosiale medier (offentlig).",
                "Visitors to our social-media pages (public).",
            ),
            retention_keys=["marketing_consent"],
            services=[],
        ),
        _marketing(
            clinic,
            what=T(
                "Skicka nyheter och erbjudanden per e-post eller sms, bara om du har sagt ja. "
                "Du kan ångra dig när som helst.",
                "Sende nyheter og tilbud på e-post eller SMS, bare hvis du har sagt ja. Du kan "
                "trekke samtykket når som helst.",
                "To send news and offers by e-mail or SMS, only if you have said yes. You may "
                "withdraw at any time.",
            ),
        ),
    ]


VET_LAW = {
    "NO": dict(
        purpose=T(
            "Föra journal och historik för ditt djur och registrera dig som ägare, så som den "
            "norska lagen om djurhälsopersonal och journalföreskriften kräver.",
            "Føre journal og historikk for dyret ditt og registrere deg som eier, slik "
            "dyrehelsepersonelloven og journalforskriften krever.",
            "To keep a journal and history of your animal and register you as its owner, as "
            "the Norwegian Animal Health Personnel Act and journal regulation require.",
        ),
        basis_detail=T(
            "Dyrehelsepersonelloven; forskrift om journal for dyrehelsepersonell "
            "(FOR-2006-02-20-229)",
            "Dyrehelsepersonelloven; forskrift om journal for dyrehelsepersonell "
            "(FOR-2006-02-20-229)",
            "Norwegian Animal Health Personnel Act; regulation on journals (FOR-2006-02-20-229)",
        ),
        authority=T(
            "Mattilsynet (rapporter som lagen kräver, och insyn i journalen vid tillsyn)",
            "Mattilsynet (rapportering etter loven, og innsyn i journal ved tilsyn)",
            "Mattilsynet, the Norwegian Food Safety Authority (reports the law requires, and "
            "access to the journal when it inspects)",
        ),
    ),
    "SE": dict(
        purpose=T(
            "Föra journal och historik för ditt djur och registrera dig som ägare, så som "
            "lagen om verksamhet inom djurens hälso- och sjukvård och Jordbruksverkets "
            "föreskrifter kräver.",
            "Føre journal og historikk for dyret ditt og registrere deg som eier, slik den "
            "svenske loven om dyrehelsetjenester og Jordbruksverkets forskrifter krever.",
            "To keep a journal and history of your animal and register you as its owner, as "
            "the Swedish animal health care act and the Board of Agriculture's rules require.",
        ),
        basis_detail=T(
            "Lagen (2009:302) om verksamhet inom djurens hälso- och sjukvård; Jordbruksverkets "
            "föreskrifter om journalföring (saknr D 8)",
            "Den svenske loven (2009:302) om dyrehelsetjenester; Jordbruksverkets forskrifter "
            "om journalføring (saknr D 8)",
            "Swedish Act (2009:302) on animal health care; the Board of Agriculture's rules on "
            "journals (saknr D 8)",
        ),
        authority=T(
            "Jordbruksverket och länsstyrelsen (rapporter som lagen kräver, och tillsyn)",
            "Jordbruksverket og länsstyrelsen (rapportering etter loven, og tilsyn)",
            "The Swedish Board of Agriculture and the county board (reports the law requires, "
            "and inspections)",
        ),
    ),
}


def _veterinary(clinic) -> list[dict]:
    law = VET_LAW[clinic.country]
    others = T(
        "försäkringsbolag (försäkringsärenden, på din begäran); laboratorier och specialister "
        "(prover, bilder, remisser); ID-registret för sällskapsdjur (chipmärkning); apotek "
        "(recept). Varje utlämnande loggas.",
        "forsikringsselskaper (forsikringsoppgjør, etter ønske fra deg); laboratorier og "
        "spesialister (prøver, bilder, henvisninger); ID-registeret for kjæledyr "
        "(chipmerking); apotek (resepter). Hver utlevering logges.",
        "insurers (claims, at your request); laboratories and specialists (samples, images, "
        "referrals); the pet ID register (chip marking); pharmacies (prescriptions). Every "
        "disclosure is logged.",
    )
    return [
        _booking(clinic),
        dict(
            key="journal",
            name=T("Journal för djuret", "Journal for dyret", "The animal's journal"),
            purpose=law["purpose"],
            legal_bases=["c", "b"],
            basis_detail=law["basis_detail"],
            data_subjects=OWNERS,
            data_categories=T(
                "Ägarens namn, adress, födelsedatum och kontaktuppgifter; djurets art, ras, "
                "chipnummer, undersökningar, behandlingar, recept och provsvar.",
                "Eierens navn, adresse, fødselsdato og kontaktopplysninger; dyrets art, "
                "rase, ID-chip, undersøkelser, behandlinger, resepter og prøvesvar.",
                "The owner's name, address, birth date and contact details; the animal's "
                "species, breed, ID chip, examinations, treatments, prescriptions and "
                "test results.",
            ),
            recipients={lang: f"{law['authority'][lang]}; {others[lang]}" for lang in others},
            retention_keys=["journal", "access_log"],
            services=["hosting", "journal_system"],
        ),
        _orders(
            clinic,
            what=T(
                "Följa upp betalningar, svara på frågor om tidigare köp och bokföra.",
                "Betalingsoppfølging, svar på spørsmål om tidligere kjøp og regnskap.",
                "To follow up payments, answer questions about earlier purchases and keep the "
                "books.",
            ),
            recipients=T(
                "Vår redovisningsbyrå (personuppgiftsbiträde).",
                "Vår regnskapsfører (databehandler).",
                "Our accountants (a processor).",
            ),
        ),
        dict(
            key="recall",
            name=T(
                "Påminnelser och kallelser", "Påminnelser og innkallinger", "Reminders and recalls"
            ),
            purpose=T(
                "Påminna om vaccinationer och kontroller av ditt djur per e-post eller sms, "
                "om du har sagt ja.",
                "Minne om vaksiner og kontroller av dyret ditt på e-post eller SMS, hvis du "
                "har sagt ja.",
                "To remind you of your animal's vaccinations and check-ups by e-mail or SMS, "
                "if you have said yes.",
            ),
            legal_bases=["a"],
            data_subjects=OWNERS,
            data_categories=T(
                "Namn, telefonnummer, e-post; djurets namn och nästa kontroll.",
                "Navn, telefonnummer, e-post; dyrets navn og neste kontroll.",
                "Name, phone number, e-mail; the animal's name and next check-up.",
            ),
            recipients=NOBODY,
            retention_keys=["client"],
            services=["journal_system", "sms", "email"],
        ),
        _marketing(
            clinic,
            what=T(
                "Skicka relevant information och erbjudanden om du sa ja när du registrerades. "
                "Du kan säga nej när som helst.",
                "Sende relevant informasjon og tilbud hvis du sa ja da du ble registrert. Du "
                "kan reservere deg når som helst.",
                "To send relevant information and offers if you said yes when you registered. "
                "You may opt out at any time.",
            ),
        ),
        _inquiries(
            what=T(
                "Svara på frågor per telefon, e-post och i sociala medier, och ringa tillbaka.",
                "Svare på henvendelser per telefon, e-post og i sosiale medier, og ringe tilbake.",
                "To answer questions by phone, e-mail and on social media, and to call you back.",
            ),
            bases=["b", "f"],
            data=T(
                "Telefonnummer och tidpunkt för samtal; e-post och det du skriver till oss.",
                "Telefonnummer og tidspunkt for samtaler; e-post og det du skriver til oss.",
                "Phone number and time of calls; e-mail and what you write to us.",
            ),
            note=T(
                "E-post raderas när den inte längre behövs och gås igenom minst en gång om "
                "året; det som hör till journalen sparas som journal.",
                "E-post slettes når den ikke lenger er aktuell, og gjennomgås minst én gang i "
                "året; det som hører til journalen, lagres som journal.",
                "E-mail is deleted when no longer needed and reviewed at least once a year; "
                "what belongs in the journal is kept as journal.",
            ),
        ),
    ]


def _dental(clinic) -> list[dict]:
    return [
        _booking(clinic),
        dict(
            key="booking_requests",
            name=T("Förfrågningar om tid", "Bestillingsforespørsler", "Booking requests"),
            purpose=T(
                "Behandla förfrågningar om tid med önskad veckodag och tid och var du hittade "
                "oss, tills vi har bokat dig eller förfrågan har gått ut.",
                "Behandle forespørsler om time med ønsket ukedag og tid og hvor du fant oss, "
                "til vi har satt opp timen eller forespørselen er utløpt.",
                "To handle requests for an appointment with your preferred weekday and time "
                "and where you found us, until we have booked you or the request has "
                "expired.",
            ),
            legal_bases=["b", "f"],
            legitimate_interest=REQUEST_INTEREST,
            data_subjects=CLIENTS,
            data_categories=T(
                "Namn, telefonnummer, e-post, önskad veckodag och tid, var du hittade oss.",
                "Navn, telefonnummer, e-post, ønsket ukedag og tid, hvor du fant oss.",
                "Name, phone number, e-mail, preferred weekday and time, where you found us.",
            ),
            recipients=NOBODY,
            retention_keys=["booking_request"],
            services=["hosting", "journal_system", "email"],
        ),
        dict(
            key="journal",
            name=T("Patientjournal", "Pasientjournal", "Patient records"),
            purpose=T(
                "Följa upp och behandla dig: journal med fynd, behandlingar och bilder av "
                "tänderna, så som lagen om patientjournaler kräver.",
                "Oppfølging og konsultasjon av pasienter: journal med funn, behandlinger og "
                "bilder av tennene, slik loven om pasientjournaler krever.",
                "To follow up and treat you: a journal with findings, treatments and images "
                "of your teeth, as the law on patient records requires.",
            ),
            legal_bases=["c"],
            special_basis="h",
            basis_detail=HUMAN_LAW[clinic.country],
            data_subjects=CLIENTS,
            data_categories=T(
                "Fødselsnummer, namn, kontaktuppgifter; fynd, behandlingar och bilder av "
                "tänderna (hälsouppgifter); logg över vem som har öppnat journalen.",
                "Fødselsnummer, navn, kontaktopplysninger; funn, behandlinger og bilder av "
                "tennene (helseopplysninger); logg over hvem som har åpnet journalen.",
                "National identity number, name, contact details; findings, treatments and "
                "images of your teeth (health data); a log of who opened the journal.",
            ),
            recipients=T(
                "Remisser till andra kliniker eller specialister bara med ditt samtycke, "
                "krypterat eller per post; myndigheter när lagen kräver det. Varje "
                "utlämnande loggas.",
                "Henvisninger til andre klinikker eller spesialister bare med ditt samtykke, "
                "kryptert eller per post; myndigheter når loven krever det. Hver utlevering "
                "logges.",
                "Referrals to other clinics or specialists only with your consent, encrypted "
                "or by post; authorities where the law requires it. Every disclosure is "
                "logged.",
            ),
            retention_keys=["journal", "access_log"],
            services=["hosting", "journal_system"],
        ),
        _orders(
            clinic,
            what=_in(
                T(
                    "Fakturera behandlingar och bokföra enligt {}.",
                    "Fakturere behandlinger og føre regnskap etter {}.",
                    "To invoice treatments and keep the books as {} requires.",
                ),
                ACCOUNTING_IN_TEXT[clinic.country],
            ),
            recipients=T(
                "Auktoriserad redovisningskonsult (personuppgiftsbiträde).",
                "Autorisert regnskapsfører (databehandler).",
                "An authorised accountant (a processor).",
            ),
        ),
        dict(
            key="recall",
            name=T("Kallelse till kontroll", "Innkalling til kontroll", "Check-up recall"),
            purpose=T(
                "Kalla dig till ny kontroll; påminnelser per e-post eller sms bara om du har "
                "sagt ja.",
                "Kalle deg inn til ny kontroll; påminnelser på e-post eller SMS bare hvis du "
                "har sagt ja.",
                "To call you in for your next check-up; reminders by e-mail or SMS only if "
                "you have said yes.",
            ),
            legal_bases=["a"],
            data_subjects=CLIENTS,
            data_categories=T(
                "Namn, telefonnummer, e-post och datum för nästa kontroll.",
                "Navn, telefonnummer, e-post og dato for neste kontroll.",
                "Name, phone number, e-mail and the date of the next check-up.",
            ),
            recipients=NOBODY,
            retention_keys=["client"],
            services=["journal_system", "sms", "email"],
        ),
        _marketing(
            clinic,
            what=T(
                "Skicka nyheter om tandhälsa och erbjudanden per e-post eller sms, bara om du "
                "har sagt ja.",
                "Sende nyheter om tannhelse og tilbud på e-post eller SMS, bare hvis du har "
                "sagt ja.",
                "To send news about dental health and offers by e-mail or SMS, only if you "
                "have said yes.",
            ),
        ),
        _statistics(
            clinic,
            what=T(
                "Analysera hur webbplatsen används, anonymt och bara om du har godkänt "
                "statistikcookies.",
                "Analysere bruken av nettsidene, anonymt og bare hvis du har godtatt "
                "statistikk-informasjonskapsler.",
                "To analyse how the website is used, anonymously and only if you have "
                "accepted statistics cookies.",
            ),
        ),
        _inquiries(
            what=T(
                "Svara på frågor per telefon, e-post eller via kontaktformuläret.",
                "Svare på henvendelser per telefon, e-post eller via kontaktskjemaet.",
                "To answer questions by phone, e-mail or through the contact form.",
            ),
            bases=["b", "a"],
            data=T(
                "Kontaktuppgifter och det du skriver till oss.",
                "Kontaktopplysninger og det du skriver til oss.",
                "Contact details and what you write to us.",
            ),
            note=T(
                "Raderas när frågan är besvarad och inte längre behövs, om den inte hör till "
                "journalen.",
                "Slettes når henvendelsen er besvart og ikke lenger trengs, med mindre den "
                "hører til journalen.",
                "Deleted when answered and no longer needed, unless it belongs in the journal.",
            ),
        ),
        dict(
            key="applicants",
            name=T("Rekrytering", "Rekruttering", "Recruitment"),
            purpose=T(
                "Hitta rätt kandidat när vi söker personal. Vi sparar ansökan till senare "
                "tjänster bara med ditt samtycke.",
                "Finne riktig kandidat når vi lyser ut en stilling. Vi beholder søknaden til "
                "senere utlysninger bare med ditt samtykke.",
                "To find the right candidate when we advertise a position. We keep an "
                "application for later positions only with your consent.",
            ),
            legal_bases=["b", "a"],
            data_subjects=APPLICANTS,
            data_categories=T(
                "Ansökan, CV, kontaktuppgifter och anteckningar från intervjun.",
                "Søknad, CV, kontaktopplysninger og notater fra intervjuet.",
                "Application, CV, contact details and interview notes.",
            ),
            recipients=NOBODY,
            retention_keys=["applicant"],
            services=["email", "hosting"],
        ),
    ]


PROFILES = {
    "optician": _optician,
    "therapy": _therapy,
    "veterinary": _veterinary,
    "dental": _dental,
}


def activity_specs(clinic) -> list[dict]:
    """The default activities of the clinic's profile, in order, with ``security`` set."""
    specs = PROFILES[clinic.profile](clinic)
    for order, spec in enumerate(specs, start=1):
        spec.setdefault("security", SECURITY)
        spec["order"] = order * 10
    return specs


# --- Demo processors (fictional companies; never the seeds' real ones) --------------------

_SE = {
    "hosting": dict(
        name="Skärgårdsmoln AB", country="SE", location="Stockholm",
        contact="dataskydd@skargardsmoln.test",
        sub_processors="Kylhallen Datacenter AB (drift av lokaler, Sverige)",
    ),
    "journal_system": dict(
        name="Praksis Norden AB", country="SE", location="Stockholm",
        contact="dpo@praksis-norden.test",
        sub_processors="Skärgårdsmoln AB (drift, Sverige)",
    ),
    "email": dict(
        name="Brevduvan E-post AB", country="SE", location="Göteborg",
        contact="privacy@brevduvan.test",
    ),
    "sms": dict(
        name="Sms-Budet Norden AB", country="SE", location="Malmö",
        contact="gdpr@smsbudet.test",
        sub_processors="Nordiska operatörer (leverans av sms, EU/EES)",
    ),
}  # fmt: skip
_NO = {
    "hosting": dict(
        name="Fjellsky Drift AS", country="NO", location="Oslo",
        contact="personvern@fjellsky.test",
    ),
    "email": dict(
        name="Postbud Digital AS", country="NO", location="Bergen",
        contact="personvern@postbud.test",
        sub_processors="Relaymail Inc. (e-postlevering, USA)",
        third_countries="USA (e-postlevering)", transfer_basis="adequacy",
    ),
    "sms": dict(
        name="Tekstbud Norden AS", country="NO", location="Trondheim",
        contact="personvern@tekstbud.test",
    ),
}  # fmt: skip

DEMO_PROCESSORS: dict[str, dict[str, dict]] = {
    "lund-optik": {
        **_SE,
        "accounting": dict(
            name="Lunds Siffror Redovisning AB", country="SE", location="Lund",
            contact="info@lundssiffror.test",
        ),
    },
    "alva-terapi": {
        "hosting": _SE["hosting"],
        "journal_system": _SE["journal_system"],
        "email": _SE["email"],
        "accounting": dict(
            name="Kassaboken Redovisning AB", country="SE", location="Malmö",
            contact="info@kassaboken.test",
        ),
        "benefits_portal": dict(
            name="Förmånstorget AB", country="SE", location="Stockholm",
            contact="dataskydd@formanstorget.test",
        ),
    },
    "fjord-dyreklinikk": {
        **_NO,
        "journal_system": dict(
            name="Dyrejournal Norge AS", country="NO", location="Oslo",
            contact="personvern@dyrejournal.test",
            sub_processors="Fjellsky Drift AS (drift, Norge)\n"
            "Kodeverket Pvt Ltd (support, feilretting og utvikling, India)",
            third_countries="India (support, feilretting og utvikling)",
            transfer_basis="scc",
        ),
        "accounting": dict(
            name="Regnskapshuset Fjord AS", country="NO", location="Drammen",
            contact="post@regnskapshusetfjord.test",
        ),
    },
    "nordby-tannhelse": {
        **_NO,
        "journal_system": dict(
            name="Tannjournal Norge AS", country="NO", location="Oslo",
            contact="personvern@tannjournal.test",
            sub_processors="Fjellsky Drift AS (drift, Norge)",
        ),
        "accounting": dict(
            name="Ås Regnskapskontor AS", country="NO", location="Ås",
            contact="post@asregnskap.test",
        ),
    },
}  # fmt: skip

DEMO_DPA_DATE = date(2024, 1, 15)
