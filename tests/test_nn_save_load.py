"""state_dict / load_state_dict / save / load: exact, atomic, all-or-nothing, and model files at the
edges (symbolic links, devices, pipes, huge files, long error lists)."""

from __future__ import annotations

import json
import math
import os
import random
import re

import pytest

from micrograd_like import serialization
from micrograd_like.nn import FORMAT_VERSION, MLP, Layer, Neuron


def _model(seed: int = 11) -> MLP:
    return MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=seed)


def _awkward_model(seed: int = 0) -> MLP:
    """A model whose floats need all 17 significant digits (and a few odd ones)."""
    model = _model(seed)
    rng = random.Random(seed)
    for p in model.parameters():
        p.data = rng.uniform(-1, 1) / 3.0
    ps = model.parameters()
    ps[0].data = 5e-324  # smallest subnormal
    ps[1].data = -0.0
    ps[2].data = 1.7976931348623157e308
    ps[3].data = 0.1 + 0.2
    return model


def _bits(model) -> list[str]:
    return [p.data.hex() for p in model.parameters()]


def test_state_dict_round_trip():
    a, b = _awkward_model(0), _model(9)
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    b.load_state_dict(sd)
    assert _bits(a) == _bits(b)


def test_save_load_round_trip_is_bit_identical(tmp_path):
    path = tmp_path / "model.json"
    a = _awkward_model(1)
    a.save(path)
    b = _model(2)
    assert b.load(str(path)) is b
    assert _bits(a) == _bits(b)
    assert math.copysign(1.0, b.parameters()[1].data) == -1.0  # -0.0 survives


def test_saved_file_has_version_architecture_activations_and_names(tmp_path):
    path = tmp_path / "m.json"
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="linear", seed=0)
    model.save(path)
    doc = json.loads(path.read_text())
    assert doc["version"] == FORMAT_VERSION
    assert doc["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "layers": [
            {"nin": 2, "nout": 3, "activation": "sigmoid"},
            {"nin": 3, "nout": 3, "activation": "sigmoid"},
            {"nin": 3, "nout": 2, "activation": "linear"},
        ],
    }
    assert list(doc["parameters"]) == [n for n, _ in model.named_parameters()]
    assert doc["parameters"]["layers.0.neurons.2.w.1"] == model.layers[0].neurons[2].w[1].data


def test_neuron_and_layer_save_load(tmp_path):
    n1, n2 = Neuron(3, rng=random.Random(1)), Neuron(3, rng=random.Random(2))
    n1.save(tmp_path / "n.json")
    n2.load(tmp_path / "n.json")
    assert _bits(n1) == _bits(n2)
    l1, l2 = Layer(3, 2, rng=random.Random(1)), Layer(3, 2, rng=random.Random(2))
    l1.save(tmp_path / "l.json")
    l2.load(tmp_path / "l.json")
    assert _bits(l1) == _bits(l2)
    with pytest.raises(ValueError, match="architecture"):
        n2.load(tmp_path / "l.json")


def test_save_overwrites_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [2], seed=0).save(path)
    MLP(2, [2], seed=1).save(path)
    assert os.listdir(tmp_path) == ["m.json"]
    check = MLP(2, [2], seed=3).load(path)
    assert _bits(check) == _bits(MLP(2, [2], seed=1))


def test_save_refuses_non_finite_parameters(tmp_path):
    model = MLP(2, [2], seed=0)
    model.parameters()[3].data = math.nan
    with pytest.raises(ValueError, match="layers.0.neurons.1.w.0"):
        model.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------ crash during saving


class _HalfWriter:
    """A file that writes the first half of what it is given, then crashes."""

    def __init__(self, fd, mode):
        self._f = _REAL_FDOPEN(fd, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def write(self, data):
        self._f.write(data[: len(data) // 2])
        raise RuntimeError("simulated crash mid-write")


_REAL_FDOPEN = os.fdopen


@pytest.mark.parametrize(
    "target, replacement",
    [
        ("os.fdopen", _HalfWriter),
        ("os.replace", lambda *a, **k: (_ for _ in ()).throw(OSError("simulated crash at rename"))),
        ("os.fsync", lambda fd: (_ for _ in ()).throw(OSError("simulated crash at fsync"))),
    ],
)
def test_crash_while_saving_leaves_old_file_intact(tmp_path, monkeypatch, target, replacement):
    path = tmp_path / "m.json"
    old = _awkward_model(0)
    old.save(path)
    before = path.read_bytes()
    module, attr = target.split(".")
    monkeypatch.setattr(f"{module}.{attr}", replacement)
    with pytest.raises((RuntimeError, OSError), match="simulated"):
        _model(5).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]  # the temp file was cleaned up
    fresh = _model(7).load(path)
    assert _bits(fresh) == _bits(old)


# ---------------------------------------------- invalid files: model unchanged


def _valid_doc(tmp_path):
    path = tmp_path / "good.json"
    _awkward_model(4).save(path)
    return json.loads(path.read_text())


def _edit_params(fn):
    def edit(doc):
        fn(doc["parameters"])
        return doc

    return edit


_BAD_DOCS = {
    "unknown name": (_edit_params(lambda p: p.update({"layers.9.neurons.0.b": 1.0})), "unknown parameter"),
    "missing name": (_edit_params(lambda p: p.pop("layers.1.neurons.1.b")), "missing 1 parameter"),
    "renamed": (
        _edit_params(lambda p: p.update({"layers.0.neurons.0.bias": p.pop("layers.0.neurons.0.b")})),
        "missing",
    ),
    "string value": (_edit_params(lambda p: p.update({"layers.0.neurons.0.b": "0.5"})), "layers.0.neurons.0.b"),
    "null value": (_edit_params(lambda p: p.update({"layers.0.neurons.0.b": None})), "layers.0.neurons.0.b"),
    "bool value": (_edit_params(lambda p: p.update({"layers.0.neurons.0.w.1": True})), "layers.0.neurons.0.w.1"),
    "list value": (_edit_params(lambda p: p.update({"layers.1.neurons.0.w.2": [1.0]})), "layers.1.neurons.0.w.2"),
    "parameters not an object": (lambda d: {**d, "parameters": [1.0, 2.0]}, "parameters"),
    "different widths": (
        lambda d: {
            **d,
            "architecture": {
                **d["architecture"],
                "layers": [{"nin": 2, "nout": 4, "activation": "tanh"}, {"nin": 4, "nout": 2, "activation": "sigmoid"}],
            },
        },
        "architecture",
    ),
    "different activation": (
        lambda d: {
            **d,
            "architecture": {
                **d["architecture"],
                "layers": [{"nin": 2, "nout": 3, "activation": "relu"}, {"nin": 3, "nout": 2, "activation": "sigmoid"}],
            },
        },
        "architecture",
    ),
    "no architecture": (lambda d: {k: v for k, v in d.items() if k != "architecture"}, "architecture"),
    "future version": (lambda d: {**d, "version": FORMAT_VERSION + 1}, "version"),
    "bool version": (lambda d: {**d, "version": True}, "version"),
    "wrong format": (lambda d: {**d, "format": "pytorch"}, "format"),
    "top-level list": (lambda d: [d], "object"),
}


@pytest.mark.parametrize("case", sorted(_BAD_DOCS))
def test_invalid_document_is_rejected_and_model_unchanged(tmp_path, case):
    edit, match = _BAD_DOCS[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(edit(_valid_doc(tmp_path))))
    model = _model()
    before = _bits(model)
    with pytest.raises(ValueError, match=match):
        model.load(path)
    assert _bits(model) == before


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "not a valid model file"),
        ("not json at all", "not a valid model file"),
        (None, "not a valid model file"),  # truncated: filled in below
        ("NaN", "not a valid model file"),
    ],
)
def test_non_json_and_truncated_files_are_rejected(tmp_path, text, match):
    good = tmp_path / "good.json"
    _awkward_model(4).save(good)
    if text is None:
        raw = good.read_bytes()
        text = raw[: len(raw) // 2].decode()
    path = tmp_path / "bad.json"
    path.write_text(text)
    model = _model()
    before = _bits(model)
    with pytest.raises(ValueError, match=match):
        model.load(path)
    assert _bits(model) == before


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_in_file_are_rejected(tmp_path, token):
    good = tmp_path / "good.json"
    _awkward_model(4).save(good)
    text = good.read_text()
    name = "layers.1.neurons.0.w.1"
    start = text.index(f'"{name}": ') + len(f'"{name}": ')
    end = text.index("\n", start)
    comma = "," if text[end - 1] == "," else ""
    path = tmp_path / "bad.json"
    path.write_text(text[:start] + token + comma + text[end:])
    model = _model()
    before = _bits(model)
    with pytest.raises(ValueError):
        model.load(path)
    assert _bits(model) == before


def test_duplicate_parameter_names_are_rejected(tmp_path):
    good = tmp_path / "good.json"
    _awkward_model(4).save(good)
    text = good.read_text()
    name = '"layers.0.neurons.0.b": '
    start = text.index(name)
    line = text[start : text.index("\n", start) + 1]
    path = tmp_path / "bad.json"
    path.write_text(text.replace(line, line + name + "0.125,\n"))
    model = _model()
    before = _bits(model)
    with pytest.raises(ValueError, match="duplicate key"):
        model.load(path)
    assert _bits(model) == before


def test_file_mode_is_kept_or_defaults_to_0644(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [2], seed=0).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    MLP(2, [2], seed=1).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_binary_garbage_is_rejected(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    model = _model()
    before = _bits(model)
    with pytest.raises(ValueError, match="not a valid model file"):
        model.load(path)
    assert _bits(model) == before


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        _model().load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "edit, exc, match",
    [
        (lambda sd: sd.pop(next(iter(sd))), ValueError, "missing"),
        (lambda sd: sd.update({"extra": 1.0}), ValueError, "unknown"),
        (lambda sd: sd.update({"layers.0.neurons.0.b": math.inf}), ValueError, "finite"),
        (lambda sd: sd.update({"layers.0.neurons.0.b": math.nan}), ValueError, "finite"),
        (lambda sd: sd.update({"layers.0.neurons.0.b": 10**400}), ValueError, "too large"),
        # a value of the wrong type in a mapping the caller built is a TypeError
        (lambda sd: sd.update({"layers.0.neurons.0.b": False}), TypeError, "bool"),
        (lambda sd: sd.update({"layers.0.neurons.0.b": "1"}), TypeError, "str"),
        (lambda sd: sd.update({"layers.0.neurons.0.b": 1 + 2j}), TypeError, "complex"),
    ],
)
def test_load_state_dict_validates_before_changing(edit, exc, match):
    model = _model()
    before = _bits(model)
    sd = _awkward_model(3).state_dict()
    edit(sd)
    with pytest.raises(exc, match=match):
        model.load_state_dict(sd)
    assert _bits(model) == before


def test_load_state_dict_accepts_ints_and_rejects_non_mapping():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 2, "layers.0.neurons.0.b": -1})
    assert [p.data for p in model.parameters()] == [2.0, -1.0]
    assert all(type(p.data) is float for p in model.parameters())
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("layers.0.neurons.0.w.0", 1.0)])


# --------------------------------------------------- custom activations


def square(v):
    return v * v


def cube(v):
    return v * v * v


def test_custom_activation_is_saved_by_name_and_needs_a_matching_model(tmp_path):
    path = tmp_path / "custom.json"
    a = MLP(2, [3, 1], activation=square, seed=0)
    a.save(path)
    doc = json.loads(path.read_text())
    assert doc["architecture"]["layers"][0]["activation"] == "custom:square"
    b = MLP(2, [3, 1], activation=square, seed=1)
    b.load(path)
    assert _bits(a) == _bits(b)
    for other in (MLP(2, [3, 1], activation=cube, seed=1), MLP(2, [3, 1], activation="relu", seed=1)):
        before = _bits(other)
        with pytest.raises(ValueError, match="custom:square"):
            other.load(path)
        assert _bits(other) == before


def test_hand_edited_per_neuron_activation_is_recorded(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[1].activation = "tanh"
    assert model.architecture()["layers"][0]["activation"] == ["relu", "tanh"]
    model.save(tmp_path / "m.json")
    with pytest.raises(ValueError, match="architecture"):
        MLP(2, [2, 1], seed=0).load(tmp_path / "m.json")


def test_deeply_nested_json_is_a_value_error_and_changes_nothing(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="not a valid model file"):
        model.load(path)
    assert model.state_dict() == before


# -- model files at the edges: symbolic links, devices, pipes, huge files, long error lists ---------

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")


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


def _refused_and_unchanged(path, message: str, seed: int = 1) -> None:
    """Loading ``path`` raises ValueError matching ``message`` and leaves the model as it was."""
    model = _model(seed)
    before = _bits(model)
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert _bits(model) == before


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_load_refuses_dev_zero_without_reading_it():
    _refused_and_unchanged("/dev/zero", r"/dev/zero is not a regular file \(a character device\)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_refuses_a_named_pipe_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    _refused_and_unchanged(fifo, r"not a regular file \(a named pipe\)")


def test_load_refuses_a_folder(tmp_path):
    _refused_and_unchanged(tmp_path, r"not a regular file \(a folder\)")


def test_load_refuses_a_file_above_the_limit_without_reading_it(tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(serialization.MAX_FILE_BYTES + 1)  # sparse: costs no disk space
    _refused_and_unchanged(huge, rf"larger than {serialization.MAX_FILE_BYTES} bytes")


def test_the_size_limit_is_inclusive(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    saved = _model(1)
    saved.save(path)
    size = path.stat().st_size
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size)
    assert _bits(_model(2).load(path)) == _bits(saved)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", size - 1)
    _refused_and_unchanged(path, rf"larger than {size - 1} bytes", seed=2)


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
