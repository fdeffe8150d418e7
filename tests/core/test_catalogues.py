"""Staff and clients read Praksis in Swedish and Norwegian: every message of the source
has a translation in both catalogues, none of them a guess (fuzzy) (issue 12: no
untranslated term in sv or nb; ``make messages`` refreshes and compiles them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "praksis" / "locale"


def _entries(po: Path):
    """(flags, msgid, msgstr texts) of each entry, the header left out."""
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        key, texts = None, {"msgid": [], "msgstr": []}
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith(("msgid ", "msgid_plural ", "msgstr", "msgctxt ")):
                head, _, rest = line.partition(" ")
                key = "msgstr" if head.startswith("msgstr") else (
                    "msgid" if head == "msgid" else None
                )  # fmt: skip
                line = rest
            if key:
                texts[key].append(line.strip().strip('"'))
        msgid = "".join(texts["msgid"])
        if msgid:
            yield flags, msgid, texts["msgstr"]


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    untranslated, fuzzy = [], []
    for flags, msgid, strings in _entries(po):
        if "fuzzy" in flags:
            fuzzy.append(msgid)
        if not any(strings):
            untranslated.append(msgid)
    assert untranslated == [] and fuzzy == [], (untranslated[:10], fuzzy[:10])
