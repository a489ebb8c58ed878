"""Door numbers in the order people read them (portal/villages/doors.py)."""

from __future__ import annotations

import pytest

from portal.villages.doors import chinese_number, door_sort_key, sort_by_door


@pytest.mark.parametrize(
    "text, value",
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
        ("三百", 300),
        ("一千二百", 1200),
        ("二〇二六", 2026),
        ("零", 0),
    ],
)
def test_chinese_numerals_are_read_as_numbers(text, value):
    assert chinese_number(text) == value


def test_door_numbers_sort_naturally():
    """Numbers compare as numbers wherever they stand, Chinese numerals included."""
    shuffled = ["十一组1号", "2号", "二组3号", "一组10号", "10号", "一组2号", "三组1号"]
    shuffled += ["十组1号", "一组2号院", "东头5号", "１号", "二十组1号"]
    assert sorted(shuffled, key=door_sort_key) == [
        "１号",
        "一组2号",
        "一组2号院",
        "一组10号",
        "2号",
        "二组3号",
        "三组1号",
        "10号",
        "十组1号",
        "十一组1号",
        "二十组1号",
        "东头5号",
    ]


def test_the_same_number_written_two_ways_keeps_a_fixed_order():
    assert door_sort_key("２号") == door_sort_key("2号")  # full width folded
    assert door_sort_key("") < door_sort_key("1号")


def test_sort_by_door_is_stable_for_one_door():
    rows = [("8号", 3), ("2号", 1), ("8号", 1), ("2号", 2)]
    assert sort_by_door(rows, door=lambda row: row[0]) == [
        ("2号", 1),
        ("2号", 2),
        ("8号", 3),
        ("8号", 1),
    ]
