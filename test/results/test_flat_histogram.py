"""The JSON-text fast path for flat histograms agrees exactly with json.loads + parse_histogram."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qiskit_ionq.exceptions import IonQJobError
from qiskit_ionq.histogram import FlatHistogram, parse_flat_histogram, parse_histogram


@pytest.mark.parametrize(
    "text",
    [
        '{"0": 0.5, "3": 0.5}',
        '{"0":0.25,"1":1e-07,"2":1E+2,"3":-0.0,"7":3}',
        ' \n{ "5" : 0.1 ,\t"2":0.9 }\r\n',
        '{"12345678901234": 1}',
        '{"0": 0.1000000000000000055511151231257827}',
    ],
)
def test_fast_path_equals_json(text):
    flat = parse_flat_histogram(text.encode())
    assert isinstance(flat, FlatHistogram)
    expected = json.loads(text)
    assert dict(flat) == expected and list(flat) == list(expected) and len(flat) == len(expected)
    keys, probs = parse_histogram(flat, 50)
    ref_keys, ref_probs = parse_histogram(expected, 50)
    assert keys.dtype == ref_keys.dtype and np.array_equal(keys, ref_keys)
    assert np.array_equal(probs, ref_probs) and probs.tobytes() == ref_probs.tobytes()


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '{"a": {"0": 1.0}}',  # multi-circuit
        '{"-1": 1.0}',
        '{"1.5": 1.0}',
        '{"\\u0031": 1.0}',
        '{"0": NaN}',
        '{"0": Infinity}',
        '{"0": 1e999}',
        '{"0": ' + "9" * 400 + "}",
        '{"0": 01}',
        '{"0": +1}',
        '{"0": .5}',
        '{"0": 5.}',
        '{"0": 1,}',
        '{"0": 1} x',
        '{"0": 1\f}',
        '{"0": "1"}',
        '{"0": null}',
        '{"99999999999999999999": 1.0}',
        "[1, 2]",
        '\ufeff{"0": 1}',
    ],
)
def test_anything_unusual_falls_back(text):
    assert parse_flat_histogram(text.encode("utf-8")) is None


def test_errors_are_the_dict_paths():
    for text, width in [('{"0": 0.5, "8": 0.5}', 3), ('{"0": 0.5, "1": -0.5}', 3)]:
        flat = parse_flat_histogram(text.encode())
        assert flat is not None
        with pytest.raises(IonQJobError) as fast:
            parse_histogram(flat, width)
        with pytest.raises(IonQJobError) as slow:
            parse_histogram(json.loads(text), width)
        assert str(fast.value) == str(slow.value)


def test_large_random_histogram_is_exact():
    rng = np.random.default_rng(3)
    probs = rng.random(1 << 12)
    probs /= probs.sum()
    keys = rng.permutation(1 << 14)[: 1 << 12]
    data = dict(zip(map(str, keys.tolist()), probs.tolist()))
    flat = parse_flat_histogram(json.dumps(data).encode())
    assert flat is not None
    got_keys, got_probs = parse_histogram(flat, 14)
    ref_keys, ref_probs = parse_histogram(data, 14)
    assert np.array_equal(got_keys, ref_keys) and got_probs.tobytes() == ref_probs.tobytes()


@pytest.mark.parametrize("text", ['{"0": 0.5, "0": 0.5}', '{"3": 0.25, "1": 0.5, "3": 0.25}'])
def test_a_repeated_key_is_an_error_not_last_one_wins(text):
    from qiskit_ionq.exceptions import IonQJobError

    with pytest.raises(IonQJobError, match="appears twice"):
        parse_flat_histogram(text.encode())
