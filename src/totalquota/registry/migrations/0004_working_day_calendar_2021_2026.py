"""The PRC public holidays and adjusted working days of 2021 to 2026, as the State Council's
yearly notices (国务院办公厅关于部分节假日安排的通知) publish them. Only exceptions are stored:
holidays falling on Monday to Friday and adjusted working days falling on a Saturday or Sunday
(registry.CalendarDay); deadlines that fall on a day off move to the next working day (TOT-2)."""

import datetime as dt

from django.db import migrations

D = dt.date

# year -> (festival, first day off, last day off, adjusted working days), per notice.
NOTICES = {
    # 国办发明电〔2020〕27号
    2021: [
        ("元旦", D(2021, 1, 1), D(2021, 1, 3), []),
        ("春节", D(2021, 2, 11), D(2021, 2, 17), [D(2021, 2, 7), D(2021, 2, 20)]),
        ("清明节", D(2021, 4, 3), D(2021, 4, 5), []),
        ("劳动节", D(2021, 5, 1), D(2021, 5, 5), [D(2021, 4, 25), D(2021, 5, 8)]),
        ("端午节", D(2021, 6, 12), D(2021, 6, 14), []),
        ("中秋节", D(2021, 9, 19), D(2021, 9, 21), [D(2021, 9, 18)]),
        ("国庆节", D(2021, 10, 1), D(2021, 10, 7), [D(2021, 9, 26), D(2021, 10, 9)]),
    ],
    # 国办发明电〔2021〕11号
    2022: [
        ("元旦", D(2022, 1, 1), D(2022, 1, 3), []),
        ("春节", D(2022, 1, 31), D(2022, 2, 6), [D(2022, 1, 29), D(2022, 1, 30)]),
        ("清明节", D(2022, 4, 3), D(2022, 4, 5), [D(2022, 4, 2)]),
        ("劳动节", D(2022, 4, 30), D(2022, 5, 4), [D(2022, 4, 24), D(2022, 5, 7)]),
        ("端午节", D(2022, 6, 3), D(2022, 6, 5), []),
        ("中秋节", D(2022, 9, 10), D(2022, 9, 12), []),
        ("国庆节", D(2022, 10, 1), D(2022, 10, 7), [D(2022, 10, 8), D(2022, 10, 9)]),
    ],
    # 国办发明电〔2022〕16号
    2023: [
        ("元旦", D(2022, 12, 31), D(2023, 1, 2), []),
        ("春节", D(2023, 1, 21), D(2023, 1, 27), [D(2023, 1, 28), D(2023, 1, 29)]),
        ("清明节", D(2023, 4, 5), D(2023, 4, 5), []),
        ("劳动节", D(2023, 4, 29), D(2023, 5, 3), [D(2023, 4, 23), D(2023, 5, 6)]),
        ("端午节", D(2023, 6, 22), D(2023, 6, 24), [D(2023, 6, 25)]),
        ("中秋节、国庆节", D(2023, 9, 29), D(2023, 10, 6), [D(2023, 10, 7), D(2023, 10, 8)]),
    ],
    # 国办发明电〔2023〕7号
    2024: [
        ("元旦", D(2024, 1, 1), D(2024, 1, 1), []),
        ("春节", D(2024, 2, 10), D(2024, 2, 17), [D(2024, 2, 4), D(2024, 2, 18)]),
        ("清明节", D(2024, 4, 4), D(2024, 4, 6), [D(2024, 4, 7)]),
        ("劳动节", D(2024, 5, 1), D(2024, 5, 5), [D(2024, 4, 28), D(2024, 5, 11)]),
        ("端午节", D(2024, 6, 10), D(2024, 6, 10), []),
        ("中秋节", D(2024, 9, 15), D(2024, 9, 17), [D(2024, 9, 14)]),
        ("国庆节", D(2024, 10, 1), D(2024, 10, 7), [D(2024, 9, 29), D(2024, 10, 12)]),
    ],
    # 国办发明电〔2024〕12号
    2025: [
        ("元旦", D(2025, 1, 1), D(2025, 1, 1), []),
        ("春节", D(2025, 1, 28), D(2025, 2, 4), [D(2025, 1, 26), D(2025, 2, 8)]),
        ("清明节", D(2025, 4, 4), D(2025, 4, 6), []),
        ("劳动节", D(2025, 5, 1), D(2025, 5, 5), [D(2025, 4, 27)]),
        ("端午节", D(2025, 5, 31), D(2025, 6, 2), []),
        ("国庆节、中秋节", D(2025, 10, 1), D(2025, 10, 8), [D(2025, 9, 28), D(2025, 10, 11)]),
    ],
    # 国办发明电〔2025〕7号 (2025 年 11 月 4 日)
    2026: [
        ("元旦", D(2026, 1, 1), D(2026, 1, 3), [D(2026, 1, 4)]),
        ("春节", D(2026, 2, 15), D(2026, 2, 23), [D(2026, 2, 14), D(2026, 2, 28)]),
        ("清明节", D(2026, 4, 4), D(2026, 4, 6), []),
        ("劳动节", D(2026, 5, 1), D(2026, 5, 5), [D(2026, 5, 9)]),
        ("端午节", D(2026, 6, 19), D(2026, 6, 21), []),
        ("中秋节", D(2026, 9, 25), D(2026, 9, 27), []),
        ("国庆节", D(2026, 10, 1), D(2026, 10, 7), [D(2026, 9, 20), D(2026, 10, 10)]),
    ],
}


def exceptions():
    """(date, is_working_day, name) of every day that differs from its weekday."""
    for festivals in NOTICES.values():
        for name, first, last, working in festivals:
            day = first
            while day <= last:
                if day.weekday() < 5:
                    yield day, False, name
                day += dt.timedelta(days=1)
            for day in working:
                assert day.weekday() >= 5, day  # an adjusted working day is a weekend day
                yield day, True, f"{name}调休上班"


def forwards(apps, schema_editor):
    CalendarDay = apps.get_model("registry", "CalendarDay")
    for day, working, name in exceptions():
        CalendarDay.objects.get_or_create(date=day, defaults={"is_working_day": working, "name": name})


def backwards(apps, schema_editor):
    CalendarDay = apps.get_model("registry", "CalendarDay")
    CalendarDay.objects.filter(date__in=[day for day, _working, _name in exceptions()]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_permit_limits_and_calendar")]

    operations = [migrations.RunPython(forwards, backwards)]
