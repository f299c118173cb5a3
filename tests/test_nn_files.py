"""Model files at the edges: symbolic links, devices, pipes, huge files, long error lists."""

from __future__ import annotations

import json
import os
import re

import pytest

from micrograd_like import serialization
from micrograd_like.nn import MLP

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")


def _model(seed: int) -> MLP:
    return MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=seed)


def _bits(model: MLP) -> list[str]:
    return [p.data.hex() for p in model.parameters()]


# ------------------------------------------------------------ symbolic links


@needs_symlinks
def test_save_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "weights.json"
    _model(1).save(target)
    os.chmod(target, 0o640)
    link = tmp_path / "current.json"
    link.symlink_to(os.path.join("store", "weights.json"))  # relative, as `ln -s` makes it

    new = _model(2)
    new.save(link)

    assert link.is_symlink() and os.readlink(link) == os.path.join("store", "weights.json")
    assert _bits(_model(9).load(target)) == _bits(new)  # the target has the new weights
    assert os.stat(target).st_mode & 0o777 == 0o640  # and keeps its mode
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["current.json", "store", "weights.json"]


@needs_symlinks
def test_save_follows_a_chain_of_links_and_creates_a_missing_target(tmp_path):
    (tmp_path / "b.json").symlink_to("c.json")  # c.json does not exist yet
    (tmp_path / "a.json").symlink_to("b.json")
    model = _model(3)
    model.save(tmp_path / "a.json")
    assert (tmp_path / "a.json").is_symlink() and (tmp_path / "b.json").is_symlink()
    assert not (tmp_path / "c.json").is_symlink()
    assert _bits(_model(9).load(tmp_path / "c.json")) == _bits(model)


@needs_symlinks
def test_save_through_a_loop_of_links_is_an_os_error_and_writes_nothing(tmp_path):
    (tmp_path / "x.json").symlink_to("y.json")
    (tmp_path / "y.json").symlink_to("x.json")
    with pytest.raises(OSError, match="loop of symbolic links"):
        _model(1).save(tmp_path / "x.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "y.json"]
    assert (tmp_path / "x.json").is_symlink() and (tmp_path / "y.json").is_symlink()


# ------------------------------------------- not a regular file, or too large


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_load_refuses_dev_zero_without_reading_it():
    model = _model(1)
    before = _bits(model)
    with pytest.raises(ValueError, match=r"/dev/zero is not a regular file \(a character device\)"):
        model.load("/dev/zero")
    assert _bits(model) == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_refuses_a_named_pipe_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    model = _model(1)
    before = _bits(model)
    with pytest.raises(ValueError, match=r"not a regular file \(a named pipe\)"):
        model.load(fifo)
    assert _bits(model) == before


def test_load_refuses_a_folder(tmp_path):
    model = _model(1)
    before = _bits(model)
    with pytest.raises(ValueError, match=r"not a regular file \(a folder\)"):
        model.load(tmp_path)
    assert _bits(model) == before


def test_load_refuses_a_file_above_the_limit_without_reading_it(tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(serialization.MAX_FILE_BYTES + 1)  # sparse: costs no disk space
    model = _model(1)
    before = _bits(model)
    with pytest.raises(ValueError, match=rf"larger than {serialization.MAX_FILE_BYTES} bytes"):
        model.load(huge)
    assert _bits(model) == before


def test_the_size_limit_is_inclusive(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    saved = _model(1)
    saved.save(path)
    size = path.stat().st_size
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size)
    assert _bits(_model(2).load(path)) == _bits(saved)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size - 1)
    model = _model(2)
    before = _bits(model)
    with pytest.raises(ValueError, match=rf"larger than {size - 1} bytes"):
        model.load(path)
    assert _bits(model) == before


def test_the_documented_limit_is_far_above_a_real_model(tmp_path):
    assert serialization.MAX_FILE_BYTES == 64 * 1024 * 1024
    assert "64 MiB" in serialization.__doc__
    path = tmp_path / "moons.json"
    MLP(2, [16, 16, 1], seed=0).save(path)  # the two-moons network
    assert 1000 * path.stat().st_size < serialization.MAX_FILE_BYTES


# ------------------------------------------- how many names a message lists


def _wide_model() -> MLP:
    return MLP(4, [4, 2], seed=0)  # 30 parameters


@pytest.mark.parametrize("count", [1, 9, 10, 11, 12])
def test_missing_parameters_message_lists_at_most_ten_names(tmp_path, count):
    model = _wide_model()
    names = [n for n, _ in model.named_parameters()]
    path = tmp_path / "m.json"
    model.save(path)
    doc = json.loads(path.read_text())
    gone = names[3 : 3 + count]
    for name in gone:
        del doc["parameters"][name]
    path.write_text(json.dumps(doc))
    before = _bits(model)
    with pytest.raises(ValueError) as info:
        model.load(path)
    message = str(info.value)
    listed = re.search(r"missing (\d+) parameter\(s\): (.*?)( \.\.\.)? \(expected", message)
    assert listed is not None, message
    assert int(listed.group(1)) == count
    assert listed.group(2).split(", ") == gone[:10]
    assert (listed.group(3) is not None) == (count > 10)
    assert _bits(model) == before


@pytest.mark.parametrize("count", [10, 11])
def test_unknown_parameters_message_lists_at_most_ten_names(count):
    model = _wide_model()
    state = model.state_dict()
    extra = [f"extra.{i}" for i in range(count)]
    state.update({name: 0.0 for name in extra})
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    listed = re.search(r"unknown parameter\(s\): (.*?)( \.\.\.)? \(expected", str(info.value))
    assert listed is not None, str(info.value)
    assert listed.group(1).split(", ") == [repr(n) for n in extra[:10]]
    assert (listed.group(2) is not None) == (count > 10)
