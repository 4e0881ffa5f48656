"""The question a conversation was just asked, so a typed answer can pick one of its options.

Any reply may end in `Choices` (the router's "did you mean", the cancel reason, a retention
offer): Slack shows buttons, the console numbers the options. What the person types next may
be the number (`2`) or the option's own words ("too expensive", "cancel anyway", "pause it for
a month" for "Pause 1 month"); either runs
the option's skill exactly as its button would. The question stays open for the next message
only (a number within 15 minutes): an unrelated message closes it, so words typed later can
never pick an option by accident. Kept in memory per conversation and person, like the
question itself (a restart forgets it; the buttons still work, they carry their option).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from bot.nlu.numbers import numberize
from skills.buttons import CHOOSE, ChoiceRef, choice_value, read_choice_value
from skills.parts import Button, Choices, Reply

TTL = 15 * 60.0  # seconds a question's numbers stay meaningful
MAX_OPEN = 10_000  # conversations remembered at most (the oldest are forgotten)
SPARE_WORDS = 3  # words an answer may add to an option's label ("it's too expensive")
UNITS = frozenset({"days", "weeks", "months", "years"})


@dataclass(frozen=True)
class Option:
    label: str
    choice: ChoiceRef


@dataclass(frozen=True)
class Open:
    options: tuple[Option, ...]
    at: float


def options_of(reply: Reply) -> tuple[Option, ...]:
    """The pickable options of a reply's question (buttons we wrote), else none."""
    for part in reply.parts:
        if isinstance(part, Choices):
            out = []
            for button in part.options:
                choice = read_choice_value(button.value) if button.action == CHOOSE else None
                if choice is not None:
                    out.append(Option(button.label, choice))
            return tuple(out)
    return ()


def _words(text: str) -> list[str]:
    """Words as an answer and a label are compared: numbers as digits, units singular, so
    "pause it for a month" says every word of "Pause 1 month"."""
    words = re.findall(r"[a-z0-9]+", numberize(text).replace("'", ""))
    return [w[:-1] if w in UNITS else w for w in words]


def by_words(options: tuple[Option, ...], text: str) -> Option | None:
    """The one option whose label's words are all in a short answer; None when none or
    several are (a tie is not a pick)."""
    said = _words(text)
    scored = []
    for option in options:
        label = _words(option.label)
        if label and set(label) <= set(said) and len(said) <= len(label) + SPARE_WORDS:
            scored.append((len(label), option))
    if not scored:
        return None
    scored.sort(key=lambda x: -x[0])
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]


class OpenQuestions:
    def __init__(self) -> None:
        self._open: dict[tuple[str, str], Open] = {}
        self._lock = threading.Lock()

    def after(self, key: tuple[str, str], reply: Reply) -> None:
        """Remember the reply's question, or close the one that was open."""
        options = options_of(reply)
        with self._lock:
            self._open.pop(key, None)
            if options:
                if len(self._open) >= MAX_OPEN:
                    self._open.pop(next(iter(self._open)))
                self._open[key] = Open(options, time.monotonic())

    def again(self, key: tuple[str, str], question: str) -> Choices | None:
        """The question open in this conversation asked again in other words (its options
        unchanged), or None when none is open."""
        with self._lock:
            asked = self._open.get(key)
            if asked is None or time.monotonic() - asked.at > TTL:
                return None
            options = asked.options
        return Choices(
            question,
            tuple(
                Button(
                    o.label, CHOOSE, choice_value(o.choice.skill, o.choice.args, o.choice.missing)
                )
                for o in options
            ),
        )

    def forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._open.pop(key, None)

    def pick(self, key: tuple[str, str], text: str) -> ChoiceRef | None:
        """The option a typed answer picks (and the question closes), else None."""
        with self._lock:
            asked = self._open.get(key)
            if asked is None or time.monotonic() - asked.at > TTL:
                return None
            word = text.strip().rstrip(".)")
            if word.isdigit():
                n = int(word)
                chosen = asked.options[n - 1] if 1 <= n <= len(asked.options) else None
            else:
                chosen = by_words(asked.options, text)
            if chosen is not None:
                del self._open[key]
            return chosen.choice if chosen is not None else None
