"""WeasyPrint's and fontTools' warnings about fonts stay out of the server log (they say
nothing an operator can act on); their errors, and everyone else's warnings, still show."""

from __future__ import annotations

import logging


def test_font_warnings_from_pdfs_stay_out_of_the_server_log():
    for name in ("weasyprint", "weasyprint.progress", "fontTools.subset", "fontTools.ttLib"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.WARNING), name
        assert logger.isEnabledFor(logging.ERROR), name


def test_other_warnings_still_reach_the_log():
    assert logging.getLogger("praksis.messaging.services").isEnabledFor(logging.WARNING)
