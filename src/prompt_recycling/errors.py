"""The one exception type users see: a bad input, explained in one line; and the one place that
maps the exceptions in which libraries report unreadable input to such a line
(:func:`bad_input_message`)."""


class RecyclingError(ValueError):
    """Raised for bad user input (files, shapes, settings). The CLI prints it as one line."""


class ConfigKeyError(RecyclingError):
    """A bad value of one config key: ``config key '<key>': <why>``."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key, self.why = key, message

    def __reduce__(self):  # rebuilt from its two parts (pickle, multiprocessing)
        return type(self), (self.key, self.why)


def os_message(exc: OSError) -> str:
    if exc.strerror and exc.filename:
        names = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
        return f"{names}: {exc.strerror}"
    return str(exc)


def yaml_message(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if problem and mark:
        return f"invalid YAML: {problem} (line {mark.line + 1}, column {mark.column + 1})"
    return f"invalid YAML: {exc}"


def bad_input_message(exc: Exception) -> str | None:
    """The one-line message for an exception that means bad input; None for a bug.

    Libraries report unreadable input in their own exception types (``OSError`` for a missing
    or unreadable file or a folder where a file goes, ``json``, YAML, ``safetensors`` and pickle
    errors for corrupt files); they are mapped here, and only here.
    """
    import json
    import pickle

    import yaml
    from safetensors import SafetensorError

    messages = (
        (RecyclingError, str),
        (OSError, os_message),
        (UnicodeDecodeError, lambda e: f"not UTF-8 text ({e.reason} at byte {e.start})"),
        (json.JSONDecodeError, lambda e: f"invalid JSON: {e}"),
        (yaml.YAMLError, yaml_message),
        (SafetensorError, lambda e: f"unreadable safetensors file: {e}"),
        (pickle.UnpicklingError, lambda e: f"unreadable pickle file: {e}"),
    )
    for kind, message in messages:
        if isinstance(exc, kind):
            return " ".join(message(exc).split())  # one line, whatever the library wrote
    return None
