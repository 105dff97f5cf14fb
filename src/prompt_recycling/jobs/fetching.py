"""The ``fetch_model`` job: make a model available and describe it."""

from __future__ import annotations

import json
from pathlib import Path

from prompt_recycling.fsutil import atomic_path
from prompt_recycling.verify import file_manifest


def describe_model(
    *,
    name: str,
    models: dict,
    out_json: str,
    resources: str = "resources",
    find_links: str | None = None,
) -> dict:
    """Fetch model ``name`` and record where it is, its architecture, width and parameter count (not
    its title: that is cosmetic, and a rename must not make this file stale), and the manifest of
    its folder's files (:mod:`prompt_recycling.verify`). ``models``: the
    entries (``models.<name>`` of the config) of the model and of any model it converts with."""
    import torch
    from transformers import AutoConfig

    from prompt_recycling.embeddings import resolve_model_dir
    from prompt_recycling.fetch import fetch_model
    from prompt_recycling.models import auto_class, detect_architecture

    location = fetch_model({"models": models}, name, resources, find_links)
    folder = resolve_model_dir(location)
    model_config = AutoConfig.from_pretrained(folder)
    architecture = models[name].get("architecture") or detect_architecture(model_config)
    loader = auto_class(architecture)
    with torch.device("meta"):
        skeleton = loader.from_config(model_config)
    info = {
        "name": name,
        "location": str(location),
        "architecture": architecture,
        "width": int(skeleton.get_input_embeddings().weight.shape[1]),
        "params": int(sum(p.numel() for p in skeleton.parameters())),
        "folder": str(folder),
        "files": file_manifest(folder),  # checked by every job that reads the model
    }
    with atomic_path(out_json) as tmp:
        Path(tmp).write_text(json.dumps(info, indent=2) + "\n")
    return info
