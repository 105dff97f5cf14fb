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


def test_tiny_models_silence_transformers_bars_only_while_they_save(tmp_path):
    """Importing the tiny-model helpers changes no global switch; saving one restores it."""
    import importlib

    from transformers.utils import logging as hf_logging

    import prompt_recycling.tiny as tiny

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    try:
        importlib.reload(tiny)
        assert hf_logging.is_progress_bar_enabled()
        tiny.save_tiny_bert(tmp_path / "m", tiny.wordpiece_vocab(20), hidden=8, layers=1, heads=1)
        assert hf_logging.is_progress_bar_enabled()
    finally:
        if not was:
            hf_logging.disable_progress_bar()


def test_prompt_tuning_in_a_log_writes_a_few_lines_not_one_per_step(
    tiny_models, tiny_texts, tmp_path
):
    """The training loop updates its bar and loss postfix every step: in a log (stderr not a
    terminal) that is still a line now and then, not one per step."""
    import contextlib

    from prompt_recycling.models import load_adapter
    from prompt_recycling.settings import TuneConfig
    from prompt_recycling.tune import tune_prompt

    adapter = load_adapter(tiny_models["encoder"], ["negative", "positive"])
    config = TuneConfig(prompt_length=2, steps=[100], batch_size=4, save_every=1000)
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        tune_prompt(adapter, tiny_texts, config, tmp_path / "p", progress=True)
    lines = log.getvalue().splitlines()
    assert 1 <= len(lines) <= 3 and "100/100" in lines[-1] and "loss=" in lines[-1]
