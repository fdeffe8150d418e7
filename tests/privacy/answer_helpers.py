"""Helpers for the answer link's one-time code (REQ-50): the SMS the file backend wrote,
and opening an answer page with the code that arrived."""

from __future__ import annotations

import json
import re
from pathlib import Path

from praksis.messaging.services import deliver_due


def sms_sent(settings) -> list[dict]:
    """Every SMS the file backend delivered, oldest first."""
    path = Path(settings.SMS_FILE_PATH) / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def last_code_by_sms(settings, to: str) -> str:
    texts = [m["message"] for m in sms_sent(settings) if m["to"] == to]
    assert texts, f"no SMS to {to}"
    return code_in(texts[-1])


def answer_link(body: str) -> str:
    """The path of the answer link in a message."""
    url = re.search(r"https?://\S+/privacy/answer/\S+/", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def open_answer(visitor, link: str, settings, *, phone: str) -> None:
    """Ask for a code, let the worker send it by SMS, and give it: the answer opens."""
    assert visitor.post(link, {"action": "send"}).status_code == 302
    deliver_due()
    code = last_code_by_sms(settings, phone)
    response = visitor.post(link, {"action": "check", "code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
