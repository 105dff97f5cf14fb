"""Content fingerprint of a local source: content counts, mtimes do not; the size+mtime cache
hashes again only the files whose size or mtime changed."""

import json
import os
import re

import pytest

from prompt_recycling import fingerprint
from prompt_recycling.errors import RecyclingError
from prompt_recycling.fingerprint import content_fingerprint


def make_tree(root, files):
    """Write ``files`` ({relative path: bytes}) under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


FILES = {"config.json": b'{"d": 16}', "weights/model.bin": b"\x00\x01" * 100}


@pytest.fixture
def hashed(monkeypatch):
    """The paths hashed (the cache missed), in order."""
    calls = []
    real = fingerprint.file_sha256

    def counting(path):
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(fingerprint, "file_sha256", counting)
    return calls


def test_same_content_same_fingerprint(tmp_path):
    a = make_tree(tmp_path / "a", FILES)
    b = make_tree(tmp_path / "b", FILES)
    fp = content_fingerprint(a, cache=None)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert content_fingerprint(b, cache=tmp_path / "c.json") == fp


def test_touch_keeps_fingerprint_and_rehashes_only_the_touched_file(tmp_path, hashed):
    src = make_tree(tmp_path / "src", FILES)
    cache = tmp_path / "cache.json"
    fp = content_fingerprint(src, cache)
    assert sorted(hashed) == ["config.json", "model.bin"]
    inode = cache.stat().st_ino
    hashed.clear()
    assert content_fingerprint(src, cache) == fp
    assert hashed == []
    assert cache.stat().st_ino == inode  # nothing changed: the cache is not rewritten
    st = (src / "config.json").stat()
    os.utime(src / "config.json", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert content_fingerprint(src, cache) == fp
    assert hashed == ["config.json"]


def test_changed_bytes_same_size_change_it(tmp_path):
    src = make_tree(tmp_path / "src", FILES)
    cache = tmp_path / "cache.json"
    fp = content_fingerprint(src, cache)
    st = (src / "config.json").stat()
    (src / "config.json").write_bytes(b'{"d": 32}')
    os.utime(src / "config.json", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert content_fingerprint(src, cache) != fp
    assert content_fingerprint(src, cache) == content_fingerprint(src, cache=None)


def test_added_file_changes_it(tmp_path):
    src = make_tree(tmp_path / "src", FILES)
    fp = content_fingerprint(src, cache=None)
    (src / "weights" / "extra.bin").write_bytes(b"")
    assert content_fingerprint(src, cache=None) != fp


def test_renamed_file_in_a_folder_changes_it_a_renamed_single_file_not(tmp_path):
    src = make_tree(tmp_path / "src", FILES)
    fp = content_fingerprint(src, cache=None)
    single = content_fingerprint(src / "config.json", cache=None)
    (src / "config.json").rename(src / "settings.json")
    assert content_fingerprint(src, cache=None) != fp
    assert content_fingerprint(src / "settings.json", cache=None) == single


def test_hidden_files_and_folders_are_skipped(tmp_path):
    src = make_tree(tmp_path / "src", FILES)
    fp = content_fingerprint(src, cache=None)
    make_tree(src, {".git/HEAD": b"ref", ".hidden": b"x", "weights/.ipynb_checkpoints/a": b"y"})
    assert content_fingerprint(src, cache=None) == fp


def test_single_file_differs_from_its_folder(tmp_path):
    src = make_tree(tmp_path / "src", {"only.bin": b"abc"})
    assert content_fingerprint(src / "only.bin", cache=None) != content_fingerprint(src, None)


def test_empty_folder_differs_from_one_empty_file(tmp_path):
    (tmp_path / "empty").mkdir()
    one = make_tree(tmp_path / "one", {"a": b""})
    assert content_fingerprint(tmp_path / "empty", None) != content_fingerprint(one, None)


def test_symlinks_are_followed_and_loops_skipped(tmp_path):
    copy = make_tree(tmp_path / "copy", FILES)
    linked = make_tree(tmp_path / "linked", {"config.json": FILES["config.json"]})
    outside = make_tree(tmp_path / "outside", {"model.bin": FILES["weights/model.bin"]})
    (linked / "weights").symlink_to(outside, target_is_directory=True)
    (outside / "loop").symlink_to(linked, target_is_directory=True)
    assert content_fingerprint(linked, cache=None) == content_fingerprint(copy, cache=None)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"x": 1}', "\udcff"])
def test_corrupt_cache_is_ignored(tmp_path, text):
    src = make_tree(tmp_path / "src", FILES)
    cache = tmp_path / "cache.json"
    cache.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert content_fingerprint(src, cache) == content_fingerprint(src, cache=None)
    kept = json.loads(cache.read_text())
    assert {str(src / "config.json"), str(src / "weights" / "model.bin")} <= set(kept)


def test_bad_entry_is_rehashed(tmp_path, hashed):
    src = make_tree(tmp_path / "src", {"a": b"abc"})
    cache = tmp_path / "cache.json"
    st = (src / "a").stat()
    cache.write_text(json.dumps({str(src / "a"): [st.st_size, st.st_mtime_ns, "bad"]}))
    assert content_fingerprint(src, cache) == content_fingerprint(src, cache=None)
    assert hashed == ["a", "a"]


def test_stale_entries_are_dropped(tmp_path):
    src = make_tree(tmp_path / "src", FILES)
    other = make_tree(tmp_path / "other", {"b": b"b"})
    cache = tmp_path / "cache.json"
    content_fingerprint(src, cache)
    content_fingerprint(other, cache)
    (src / "config.json").unlink()
    content_fingerprint(src, cache)
    assert sorted(json.loads(cache.read_text())) == [
        str(other / "b"),
        str(src / "weights" / "model.bin"),
    ]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(RecyclingError, match=r"nowhere does not exist"):
        content_fingerprint(tmp_path / "nowhere", cache=None)


def test_default_cache_and_no_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = make_tree(tmp_path / "src", FILES)
    fp = content_fingerprint(src, cache=None)
    assert not (tmp_path / "resources").exists()
    assert content_fingerprint("src") == fp
    assert str(src / "config.json") in json.loads(
        (tmp_path / fingerprint.DEFAULT_CACHE).read_text()
    )
