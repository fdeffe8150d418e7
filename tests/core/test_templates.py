"""Every template compiles, and every page title is a title: text, values and
translations, nothing else.

The manage page once left its consent list, Withdraw buttons and all, inside
``{% block title %}``: the browser showed it as the tab's name, and the page carried forms
nobody could see. This walks every template so that such a block fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import engines
from django.template.base import TextNode, VariableNode
from django.template.defaulttags import IfNode
from django.template.loader_tags import BlockNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

TEMPLATES = Path(__file__).resolve().parents[2] / "praksis" / "templates"
NAMES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
PLAIN = (VariableNode, TranslateNode, BlockTranslateNode)


def _blocks(nodelist, name):
    for node in nodelist:
        if isinstance(node, BlockNode) and node.name == name:
            yield node
        for child in getattr(node, "child_nodelists", ()):
            yield from _blocks(getattr(node, child, None) or [], name)


def _not_plain(nodelist) -> list[str]:
    """What in a title is not plain: tags other than translate/if, and HTML."""
    found = []
    for node in nodelist:
        if isinstance(node, TextNode):
            if "<" in node.s or ">" in node.s:
                found.append(f"HTML {node.s.strip()[:40]!r}")
        elif isinstance(node, IfNode):
            for _condition, branch in node.conditions_nodelists:
                found += _not_plain(branch)
        elif not isinstance(node, PLAIN):
            found.append(type(node).__name__)
    return found


def test_the_templates_are_found():
    assert len(NAMES) > 50 and "base.html" in NAMES and "public/base.html" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_template_compiles_with_balanced_blocks(name):
    engines["django"].get_template(name)  # TemplateSyntaxError on an unclosed block


@pytest.mark.parametrize("name", NAMES)
def test_a_page_title_holds_only_text_values_and_translations(name):
    template = engines["django"].get_template(name).template
    for block in _blocks(template.nodelist, "title"):
        assert _not_plain(block.nodelist) == [], name
