"""Fictional people for the demo and for load tests (REQ-41: synthetic numbers only).

Names are common Nordic given names and surnames combined at random; phone numbers are
in mobile ranges, e-mail addresses under the reserved ``example.com`` domain.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.people.identity import synthetic_no, synthetic_se
from praksis.people.validation import name_key

FIRST_SE = (
    "Anna Eva Maria Karin Sara Lena Emma Kerstin Ingrid Elin Maja Ella Alva Wilma Ebba "
    "Lars Anders Johan Per Erik Karl Nils Mikael Olof Oskar Lucas Hugo Elias Liam Axel "
    "Astrid Greta Signe Saga Tove Linnea Ida Frida Klara Vera Viktor Gustav Filip Arvid Sixten"
).split()
LAST_SE = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson "
    "Lindström Olofsson Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren "
    "Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin "
    "Engström Eklund Danielsson Håkansson Lundin Björk Bergman Gunnarsson Holm Wikström Åberg"
).split()
FIRST_NO = (
    "Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Nora Emma Ella Maja Sofie "
    "Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Thomas Jakob Emil Noah Oliver Filip Aksel "
    "Sigrid Solveig Tone Randi Ragnhild Ida Frida Vilde Ingvild Håkon Sindre Eirik Magnus Tor"
).split()
LAST_NO = (
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie "
    "Amundsen Nguyen Rasmussen Ali Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen"
).split()
STREETS_SE = "Storgatan Kyrkogatan Skolgatan Parkvägen Björkvägen Ringvägen Sjövägen".split()
STREETS_NO = "Storgata Kirkegata Skolegata Parkveien Bjørkeveien Ringveien Sjøveien".split()
CITIES = {"SE": ["Lund", "Malmö", "Helsingborg", "Ystad"], "NO": ["Nordby", "Drammen", "Ås"]}

ANIMAL_NAMES = (
    "Bella Luna Max Molly Charlie Rocky Kira Tassen Pus Findus Nala Milo Leo Bamse Trofast "
    "Rex Tiger Simba Lykke Frøya Balder Sokka Nemo Birk Loke"
).split()
SPECIES_BREEDS = {
    "dog": ["Labrador retriever", "Border collie", "Norsk elghund", "Dachshund", "Blandning"],
    "cat": ["Norsk skogkatt", "Huskatt", "Maine coon"],
    "horse": ["Fjording", "Dølahest"],
    "rabbit": ["Dvergvedder"],
}


def random_birth_date(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(365 * 2, 365 * 95))


def person_values(
    rng: random.Random, clinic: Clinic, serial: int, *, taken: set[str], today: date
) -> dict:
    """Field values for one fictional person of ``clinic`` (unique identity numbers)."""
    se = clinic.country == "SE"
    first = rng.choice(FIRST_SE if se else FIRST_NO)
    last = rng.choice(LAST_SE if se else LAST_NO)
    birth = random_birth_date(rng, today)
    identity = None
    kind = ""
    if clinic.identity_policy != IdentityPolicy.BIRTH_DATE_ONLY:
        for _attempt in range(50):
            if se:
                coordination = rng.random() < 0.02
                identity = synthetic_se(rng, birth, coordination=coordination)
                kind = "se_samordningsnummer" if coordination else "se_personnummer"
            else:
                d_number = rng.random() < 0.02
                identity = synthetic_no(
                    rng, birth, kind="d_number" if d_number else "fodselsnummer"
                )
                kind = "no_d_number" if d_number else "no_fodselsnummer"
            if identity not in taken:
                break
            birth = random_birth_date(rng, today)
        taken.add(identity)
    if se:
        phone = f"+4670{rng.randrange(10**7):07d}"
        street, number = rng.choice(STREETS_SE), rng.randint(1, 80)
        address = f"{street} {number}\n{rng.randint(200, 299)} {rng.randint(10, 99)} "
        address += rng.choice(CITIES["SE"])
    else:
        phone = f"+474{rng.randrange(10**7):07d}"
        street, number = rng.choice(STREETS_NO), rng.randint(1, 80)
        address = f"{street} {number}\n{rng.randint(1000, 9999)} {rng.choice(CITIES['NO'])}"
    mail_name = name_key(f"{first}.{last}").translate(str.maketrans("åäöøæé", "aaooae"))
    return {
        "first_name": first,
        "last_name": last,
        "first_name_key": name_key(first),
        "last_name_key": name_key(last),
        "identity_number": identity,
        "identity_kind": kind,
        "birth_date": birth,
        "email": f"{mail_name}{serial}@example.com",
        "phone": phone,
        "address": address,
    }
