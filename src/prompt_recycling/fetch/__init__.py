"""Getting the inputs a config names: its models and its data sets, under ``resources/``.

Layout::

    resources/cache/pypi/<package>-<version>-<kind>/<artifact>   downloaded, verified
    resources/sources/<name>/                                    extracted (when converted)
    resources/models/<name>/                                     a transformers model folder
    resources/data/<name>/{train,validation,test}.jsonl, manifest.json

:mod:`.source` tells a source's kind (hub, path or pypi) and fingerprints files;
:mod:`.registry` fetches pinned registry artifacts; the models and the data sets are fetched by
their own modules. Nothing here imports torch, transformers or datasets at import time: the
Snakefile imports this package to plan the grid.
"""

from prompt_recycling.fetch.datasets import prepare_data
from prompt_recycling.fetch.models import fetch_model, model_location
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.fetch.source import folder_size, source_kind

__all__ = [
    "fetch_model",
    "fetch_pypi",
    "folder_size",
    "model_location",
    "prepare_data",
    "source_kind",
]
