from datetime import date, timedelta

from portal.actions import unit_of_work
from portal.boards import services
from portal.boards.models import Board, EntryState
from tests.boards.conftest import START, category


def test_black_flow(seeded, committee, second_member, household, subject, at):
    village = seeded
    with unit_of_work():
        entry = services.warn(
            committee,
            village,
            category_id=category(village, Board.BLACK, "乱堆乱放").id,
            household_id=household.id,
            resident_id=subject.id,
            description="在村道旁堆放柴草。",
        )
    assert entry.state == EntryState.WARNED
    at(START + timedelta(days=16))
    meeting = services.Meeting(date(2026, 12, 18), "王主任、赵委员、钱委员", 3, 0)
    with unit_of_work():
        services.approve_listing(second_member, entry, meeting)
    assert entry.state == EntryState.NOTICE
    at(START + timedelta(days=22))
    with unit_of_work():
        services.publish(committee, entry)
    assert entry.state == EntryState.PUBLISHED
    assert services.subject_name(entry) == "欧阳**"
