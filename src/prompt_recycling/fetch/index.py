"""Reading a package index the way pip would (its configured index and find-links
locations, the simple API in JSON or HTML) and downloading with a progress bar in bytes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from prompt_recycling.progress import bar as progress_bar


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_locations() -> tuple[list[str], list[str]]:
    """Index URLs and find-links locations from pip's own configuration (files and
    environment), so that an sdist comes from where pip would take it."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    index, extra, links = "https://pypi.org/simple", [], []
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        name = key.rsplit(".", 1)[-1]
        if name == "index-url":
            index = value
        elif name == "extra-index-url":
            extra += value.split()
        elif name == "find-links":
            links += value.split()
    return [index, *extra], links


def bytes_bar(total: int | None, desc: str):
    """A progress bar in bytes (the job log shows how far a large fetch is)."""
    return progress_bar(
        total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, mininterval=1.0
    )


def copy_with_progress(src, dst, bar) -> None:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
        bar.update(len(chunk))


def download(url: str, path: Path) -> None:
    """Stream ``url`` into ``path`` with a progress bar."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
        size = int(response.headers.get("Content-Length") or 0) or None
        with bytes_bar(size, path.name) as bar:
            copy_with_progress(response, out, bar)


def read_url(url: str, accept: str | None = None) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def index_files(index: str, package: str) -> list[tuple[str, str]]:
    """(file name, URL) of every file the simple index lists for ``package``."""
    from urllib.parse import urljoin

    page = f"{index.rstrip('/')}/{canonical(package)}/"
    try:
        if page.startswith("file:"):
            body, kind = read_url(page + "index.html"), "text/html"
        else:
            body = read_url(page, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
            kind = "json" if body[:1] == b"{" else "text/html"
    except OSError:
        return []  # not on this index
    if kind == "json":
        return [(f["filename"], urljoin(page, f["url"])) for f in json.loads(body)["files"]]
    links = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', body.decode(errors="replace"))
    return [(name.strip(), urljoin(page, href)) for href, name in links]
