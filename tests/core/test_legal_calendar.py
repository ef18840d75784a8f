"""W2 with the Dutch Algemene termijnenwet (Atw): which days end no period, worked by hand
for 2026–2028 (art. 3(1) list with 5 May every year, Good Friday by art. 3(2), the
decree days of art. 3(3)), and a period ending on each of them."""

from datetime import date

import pytest

from core.calendar import NL_DECREE_DAYS, SHOP_CALENDAR, LegalCalendar

# Every Atw holiday and decree day of 2026–2028 that falls on a weekday.
ATW_WEEKDAY_HOLIDAYS = [
    (date(2026, 1, 1), "New Year's Day, Thursday"),
    (date(2026, 1, 2), "decree: Friday after New Year's Day"),
    (date(2026, 4, 3), "Good Friday (art. 3(2))"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 4, 27), "King's Day, Monday"),
    (date(2026, 5, 5), "5 May, Tuesday, not a lustrum year"),
    (date(2026, 5, 14), "Ascension Day"),
    (date(2026, 5, 15), "decree: Friday after Ascension Day"),
    (date(2026, 5, 25), "Whit Monday"),
    (date(2026, 12, 25), "Christmas Day, Friday"),
    (date(2027, 1, 1), "New Year's Day, Friday"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
    (date(2027, 4, 27), "King's Day, Tuesday"),
    (date(2027, 5, 5), "5 May, Wednesday"),
    (date(2027, 5, 6), "Ascension Day"),
    (date(2027, 5, 7), "decree: Friday after Ascension Day"),
    (date(2027, 5, 17), "Whit Monday"),
    (date(2028, 4, 14), "Good Friday"),
    (date(2028, 4, 17), "Easter Monday"),
    (date(2028, 4, 27), "King's Day, Thursday"),
    (date(2028, 4, 28), "decree: Friday after King's Day"),
    (date(2028, 5, 5), "5 May, Friday"),
    (date(2028, 5, 25), "Ascension Day"),
    (date(2028, 5, 26), "decree: Friday after Ascension Day"),
    (date(2028, 6, 5), "Whit Monday"),
    (date(2028, 12, 25), "Christmas Day, Monday"),
    (date(2028, 12, 26), "Boxing Day, Tuesday"),
]


@pytest.mark.parametrize(
    "day", [d for d, _ in ATW_WEEKDAY_HOLIDAYS], ids=[n for _, n in ATW_WEEKDAY_HOLIDAYS]
)
def test_each_atw_holiday_of_2026_to_2028_ends_no_period(day):
    assert day.weekday() < 5
    assert not SHOP_CALENDAR.is_working_day(day)


@pytest.mark.parametrize(
    ("last_day", "ends_on"),
    [
        # 5 May 2026 is a Tuesday: the labour calendar's "only every fifth year" would
        # have made it a working day; the Atw moves the period to Wednesday.
        (date(2026, 5, 5), date(2026, 5, 6)),
        # Ascension Thursday and the decree Friday, then the weekend: Monday 18 May.
        (date(2026, 5, 14), date(2026, 5, 18)),
        (date(2026, 5, 15), date(2026, 5, 18)),
        # Good Friday, the weekend and Easter Monday: Tuesday 7 April 2026.
        (date(2026, 4, 3), date(2026, 4, 7)),
        # New Year's Thursday and the decree Friday 2 January 2026: Monday 5 January.
        (date(2026, 1, 1), date(2026, 1, 5)),
        # King's Day 2028 on Thursday, the decree Friday, the weekend: Monday 1 May 2028.
        (date(2028, 4, 27), date(2028, 5, 1)),
        # 5 May 2028 on Friday: Monday 8 May.
        (date(2028, 5, 5), date(2028, 5, 8)),
        # Christmas 2027 on a Saturday, Boxing Day on Sunday: Monday 27 December.
        (date(2027, 12, 25), date(2027, 12, 27)),
        # A plain weekday stays.
        (date(2026, 5, 6), date(2026, 5, 6)),
    ],
)
def test_a_period_ending_on_a_holiday_ends_on_the_next_working_day(last_day, ends_on):
    assert SHOP_CALENDAR.next_working_day(last_day) == ends_on


def test_fourteen_days_from_a_notice_count_past_the_ascension_bridge():
    # Notice on Friday 1 May 2026: the 14th day is Friday 15 May, a decree day → Monday.
    assert SHOP_CALENDAR.period_end(date(2026, 5, 1), 14) == date(2026, 5, 18)


def test_the_published_decree_days_are_the_default_and_staff_can_add_more():
    assert date(2026, 5, 15) in NL_DECREE_DAYS
    plain = LegalCalendar("NL")
    assert plain.is_working_day(date(2026, 5, 15))  # without the decree
    added = LegalCalendar("NL", frozenset({date(2029, 5, 11)}))
    assert not added.is_working_day(date(2029, 5, 11))


def test_another_country_uses_its_own_holidays():
    # Armistice Day is Belgian; 5 May is Dutch only.
    assert not LegalCalendar("BE").is_working_day(date(2026, 11, 11))
    assert SHOP_CALENDAR.is_working_day(date(2026, 11, 11))
    assert LegalCalendar("BE").is_working_day(date(2026, 5, 5))
