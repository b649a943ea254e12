"""core.chunks is the one chunker: task payloads, notice Bcc batches and sync transactions."""

import pytest

from core.chunks import chunks


def test_it_cuts_a_list_into_consecutive_lists_of_at_most_size():
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]


def test_it_reads_a_generator_one_chunk_at_a_time():
    read = []

    def items():
        for i in range(7):
            read.append(i)
            yield i

    stream = chunks(items(), 3)
    assert next(stream) == [0, 1, 2]
    assert read == [0, 1, 2]
    assert list(stream) == [[3, 4, 5], [6]]


def test_it_yields_nothing_for_no_items():
    assert list(chunks([], 100)) == []


@pytest.mark.parametrize("size", [0, -1])
def test_it_refuses_a_size_below_one(size):
    with pytest.raises(ValueError, match="at least 1"):
        next(chunks([1], size))
