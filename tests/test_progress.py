"""Progress bars: redrawn in place on a terminal, plain lines in a log."""

import io

from prompt_recycling.progress import bar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_in_a_log_is_plain_lines_at_most_every_interval():
    log = io.StringIO()
    for _ in bar(range(2000), "prompt tuning", stream=log):
        pass
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert 1 <= len(lines) <= 3  # the start, the end: not one per step
    assert lines[-1].startswith("prompt tuning: 100%") and "2000/2000" in lines[-1]


def test_a_bar_on_a_terminal_redraws_in_place():
    term = Terminal()
    for _ in bar(range(50), "scoring", stream=term, mininterval=0):
        pass
    assert term.getvalue().count("\r") > 10 and term.getvalue().count("\n") <= 1


def test_a_disabled_bar_writes_nothing():
    log = io.StringIO()
    for _ in bar(range(10), "x", stream=log, disable=True):
        pass
    assert log.getvalue() == ""
