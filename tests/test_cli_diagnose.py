"""``micrograd-like diagnose``: the report of a saved network on a CSV or on built-in data, and its errors.

Every printed finding is read back sentence by sentence and checked against numbers
recomputed here from the network rebuilt or loaded independently and the data
(diagnose_checks), never against the object that wrote it.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from cli_run import SCRIPT
from diagnose_checks import Case, check_sentence, constant, dead_relu, healthy

from micrograd_like import losses, moons, symmetry
from micrograd_like.cli import main
from micrograd_like.datasets import make_moons
from micrograd_like.nn import MLP

X = [list(o) for o in symmetry.OBSERVATIONS]
T = [list(t) for t in symmetry.TARGETS]


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["diagnose", *map(str, args)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def findings(text: str, case: Case) -> set[str]:
    """Check every sentence of the printed report against ``case``; return their kinds."""
    head, *paragraphs = text.strip().split("\n\n")
    assert head.startswith(f"{'-'.join(map(str, [case.model.nin, *case.model.nouts]))} network, ")
    assert paragraphs, text
    return {check_sentence(" ".join(p.split()), case) for p in paragraphs}


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.write_text("\n".join(",".join(map(str, row)) for row in [header, *rows]) + "\n", encoding="utf-8")
    return path


def symmetry_csv(path: Path) -> Path:
    """The symmetry data with its columns shuffled: the header, not the order, says which is which."""
    return write_csv(path, ["y1", "x1", "y0", "x0"], [[t[1], x[1], t[0], x[0]] for x, t in zip(X, T)])


# -- the built-in data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "value", "lr", "expected"),
    [
        ([], 1.0, 0.1, {"symmetric"}),
        (["--value", "5"], 5.0, 0.1, {"symmetric", "saturated"}),  # the issue's --value 5
        (["--lr", "100"], 1.0, 100.0, {"symmetric", "step too large"}),  # the issue's --lr 100
        (["--value", "0.5", "--loss", "mse", "--lr", "1"], 0.5, 1.0, {"symmetric"}),
    ],
)
def test_symmetry_data_gets_its_findings(args, value, lr, expected):
    code, out, err = cli("--data", "symmetry", *args)
    assert code == 0 and err == ""
    # Without --loss, the symmetry data is judged on sse, the cost 'symmetry' itself minimises.
    loss = losses.mse if "mse" in args else losses.sse
    assert f"loss {loss.__name__}:" in " ".join(out.split("\n\n")[0].split())
    assert f"at lr {lr:g} (and at lr {lr / 10:g} to compare)." in " ".join(out.split("\n\n")[0].split())
    assert findings(out, Case(constant(value), X, T, loss)) == expected


def test_moons_data_with_its_default_network():
    code, out, err = cli("--data", "moons", "--steps", "2", "--seed", "3")
    assert code == 0 and err == ""
    points, labels = make_moons(moons.POINTS, noise=moons.NOISE, seed=3)
    model = MLP(2, [*moons.HIDDEN, 1], seed=3)
    case = Case(model, [list(p) for p in points], [float(y) for y in labels], losses.hinge)  # as 'train moons'
    assert " ".join(out.split("\n\n")[0].split()).startswith(
        f"2-16-16-1 network, {moons.POINTS} samples of the moons data, loss hinge"
    )
    findings(out, case)


# -- a saved network and a CSV -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "args", "expected"),
    [
        (healthy(0), ["--loss", "sse", "--lr", "0.5", "--steps", "40"], {"none"}),
        (healthy(3), ["--loss", "sse", "--lr", "1e-4", "--steps", "40"], {"step too small"}),
        (constant(10.0), ["--loss", "sse", "--lr", "1"], {"symmetric", "saturated"}),
    ],
)
def test_saved_network_on_a_csv(tmp_path, model, args, expected):
    model.save(tmp_path / "net.json")
    code, out, err = cli("--model", tmp_path / "net.json", "--csv", symmetry_csv(tmp_path / "d.csv"), *args)
    assert code == 0 and err == ""
    loaded = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid").load(tmp_path / "net.json")
    loss = losses.sse if "sse" in args else losses.mse
    assert findings(out, Case(loaded, X, T, loss)) == expected


def test_one_output_relu_network_with_dead_units(tmp_path):
    model = dead_relu(0)
    one_output = MLP(2, [4, 4, 1])
    for p, q in zip(one_output.parameters(), model.parameters()):  # the same first layers, one output
        p.data = q.data
    one_output.save(tmp_path / "relu.json")
    csv = write_csv(tmp_path / "d.csv", ["x0", "x1", "y0"], [[*x, t[0]] for x, t in zip(X, T)])
    code, out, err = cli("--model", tmp_path / "relu.json", "--csv", csv, "--lr", "0.1")
    assert code == 0 and err == ""
    assert findings(out, Case(one_output, X, [t[0] for t in T], losses.mse)) == {"dead"}


def test_the_model_file_is_not_changed(tmp_path):
    healthy(0).save(tmp_path / "net.json")
    before = (tmp_path / "net.json").read_bytes()
    assert cli("--model", tmp_path / "net.json", "--csv", symmetry_csv(tmp_path / "d.csv"), "--lr", "100")[0] == 0
    assert (tmp_path / "net.json").read_bytes() == before


# -- errors: one line, the file named, the fix said, no traceback ---------------------------------------


def _setup(tmp_path: Path) -> dict[str, Path]:
    healthy(0).save(tmp_path / "net.json")
    MLP(3, [2, 1]).save(tmp_path / "three_inputs.json")
    MLP(2, [3]).layers[0].save(tmp_path / "layer.json")
    (tmp_path / "broken.json").write_text('{"format": "micrograd_like.nn", "vers', encoding="utf-8")
    write_csv(tmp_path / "word.csv", ["x0", "x1", "y0", "y1"], [[0.8, 0.4, 0.2, 0.4], [0.3, "abc", 1, 0]])
    write_csv(tmp_path / "short.csv", ["x0", "x1", "y0", "y1"], [[0.8, 0.4, 0.2, 0.4], [0.3, 0.3, 1]])
    write_csv(tmp_path / "header.csv", ["x0", "in1", "y0", "y1"], [[0.8, 0.4, 0.2, 0.4]])
    write_csv(tmp_path / "gap.csv", ["x0", "x2", "y0", "y1"], [[0.8, 0.4, 0.2, 0.4]])
    write_csv(tmp_path / "nan.csv", ["x0", "x1", "y0", "y1"], [[0.8, "nan", 0.2, 0.4]])
    write_csv(tmp_path / "empty.csv", ["x0", "x1", "y0", "y1"], [])
    write_csv(tmp_path / "one_target.csv", ["x0", "x1", "y0"], [[0.8, 0.4, 0.2]])
    write_csv(tmp_path / "halves.csv", ["x0", "y0"], [[0.8, 0.5]])
    symmetry_csv(tmp_path / "good.csv")
    return {p.name: p for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "net.json", "--csv", "word.csv"], ["word.csv line 3, column x1", "'abc'", "write a number"]),
        (["--model", "net.json", "--csv", "nan.csv"], ["nan.csv line 2, column x1", "not a finite number"]),
        (["--model", "net.json", "--csv", "short.csv"], ["short.csv line 3 has 3 cells", "header has 4"]),
        (["--model", "net.json", "--csv", "header.csv"], ["header.csv line 1", "'in1'", "x0, x1"]),
        (["--model", "net.json", "--csv", "gap.csv"], ["gap.csv line 1", "no input column x1"]),
        (["--model", "net.json", "--csv", "empty.csv"], ["empty.csv", "no samples"]),
        (["--model", "net.json", "--csv", "missing.csv"], ["cannot read missing.csv", "No such file"]),
        (["--model", "missing.json", "--csv", "good.csv"], ["missing.json", "No such file", "Module.save"]),
        (["--model", "broken.json", "--csv", "good.csv"], ["broken.json", "not a valid model file"]),
        (["--model", "layer.json", "--csv", "good.csv"], ["layer.json holds a Layer, not an MLP"]),
        (
            ["--model", "three_inputs.json", "--csv", "good.csv"],
            ["good.csv has 2 input", "three_inputs.json has 3 inputs", "x0 to x2"],
        ),
        (
            ["--model", "net.json", "--csv", "one_target.csv"],
            ["one_target.csv has 1 target", "net.json has 2 outputs", "y0 to y1"],
        ),
        (
            ["--model", "net.json", "--data", "moons"],
            ["moons data has 1 target column", "net.json has 2 outputs", "a network with 1 output"],
        ),
        (["--data", "symmetry", "--loss", "hinge"], ["cannot compute the hinge loss on the symmetry data", "-1 or +1"]),
    ],
)
def test_bad_files_fail_with_one_line_naming_the_file(tmp_path, monkeypatch, args, words):
    _setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(*args)
    assert code == 1, err
    assert out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("micrograd-like diagnose: failed: ")
    for word in words:
        assert word in err, (word, err)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "one of the arguments --csv --data is required"),
        (["--csv", "good.csv"], "--csv needs --model FILE"),
        (["--csv", "good.csv", "--data", "moons"], "not allowed with argument"),
        (["--data", "moons", "--value", "3"], "--value sets the weights of the symmetry network"),
        (["--data", "symmetry", "--model", "net.json", "--value", "3"], "--value"),
        (["--data", "symmetry", "--seed", "3"], "--seed picks the moons data"),
        (["--data", "symmetry", "--lr", "0"], "expected a number > 0"),
        (["--data", "symmetry", "--steps", "0"], "expected a whole number >= 1"),
        (["--data", "symmetry", "--loss", "cross_entropy"], "invalid choice"),
        (["--data", "iris"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(tmp_path, monkeypatch, args, words):
    _setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(*args)
    assert code == 2 and out == "" and "Traceback" not in err
    assert words in err


def test_the_installed_command_reports_a_bad_csv_without_a_traceback(tmp_path):
    assert SCRIPT, "the micrograd-like command is not installed next to this Python: pip install -e '.[test]'"
    files = _setup(tmp_path)
    result = subprocess.run(
        [SCRIPT, "diagnose", "--model", files["net.json"], "--csv", files["word.csv"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "line 3, column x1" in result.stderr


def test_help_documents_the_csv_layout():
    code, out, _ = cli("--help")
    assert code == 0
    for words in ("x0, x1, ...", "y0, y1, ...", "--data symmetry --value 5", "model.save"):
        assert words in out
