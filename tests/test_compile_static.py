"""compile(..., static_argnums/static_argnames): values that choose the graph."""

import pytest

import micrograd_like as ml
from micrograd_like import Value


def _embedding_model():
    table = {c: Value(float(i + 1), label=c) for i, c in enumerate("abc")}

    def loss(word, x):
        total = Value(0.0)
        for ch in word:  # the graph depends on the word
            total = total + table[ch] * x
        return total * total

    return table, loss


def _eager(table, loss, word, x):
    for v in table.values():
        v.grad = 0.0
    out = loss(word, x)
    out.backward()
    return out.data, {c: v.grad for c, v in table.items()}


def test_each_word_recorded_once_and_replayed_with_eager_numbers():
    table, loss = _embedding_model()
    compiled = ml.compile(loss, static_argnums=0)
    for word, x in [("ab", 2.0), ("cab", 0.5), ("ab", -1.5), ("cab", 3.0), ("b", 1.0)]:
        want, want_grads = _eager(table, loss, word, x)
        for v in table.values():
            v.grad = 0.0
        assert compiled(word, x) == want
        assert {c: v.grad for c, v in table.items()} == want_grads
    info = compiled.cache_info()
    assert (info.misses, info.hits, info.recordings) == (3, 2, 3)


def test_static_by_name_or_position_share_one_recording():
    compiled = ml.compile(lambda x, word: x * len(word), static_argnames="word")
    assert compiled(2.0, word="abc") == 6.0
    assert compiled(3.0, "abc") == 9.0
    assert compiled(3.0, word="ab") == 6.0
    assert compiled.cache_info()[:3] == (1, 2, 2)


def test_equal_static_values_of_different_types_are_distinct_recordings():
    compiled = ml.compile(lambda x, n: x * n, static_argnums=1)
    assert compiled(2.0, 1) == 2.0
    assert compiled(2.0, True) == 2.0
    assert compiled.cache_info().misses == 2


@pytest.mark.parametrize(
    ("static", "needle"),
    [(0.5, "is the number 0.5"), (["a"], "unhashable list"), (Value(1.0), "is a Value")],
)
def test_bad_static_values_are_refused_with_the_reason(static, needle):
    compiled = ml.compile(lambda s, x: x * 2.0, static_argnums=0)
    with pytest.raises(TypeError, match=needle) as info:
        compiled(static, 1.0)
    assert "'s'" in str(info.value)
    assert compiled.cache_info().misses == 0


def test_keyword_arguments_must_be_static():
    compiled = ml.compile(lambda x, y: x * y, static_argnames="y")
    with pytest.raises(TypeError, match="only static arguments can be passed by keyword"):
        compiled(1.0, z=2)


def test_bad_static_specs_are_refused():
    with pytest.raises(TypeError, match="static_argnums"):
        ml.compile(lambda x: x, static_argnums="0")
    with pytest.raises(ValueError, match="static_argnums"):
        ml.compile(lambda x: x, static_argnums=-1)


def test_cache_bounds_memory_to_maxsize_recordings():
    compiled = ml.compile(lambda x, n: x * n, static_argnums=1, maxsize=2)
    for n in range(5):
        assert compiled(1.5, n) == 1.5 * n
    assert compiled.cache_info().recordings == 2


def test_check_mode_runs_the_static_function_eagerly():
    table, loss = _embedding_model()
    compiled = ml.compile(loss, static_argnums=0, check=True)
    assert compiled("abc", 1.0) == 36.0
    assert compiled("abc", 2.0) == 144.0
