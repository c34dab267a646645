"""The environmental quality assessments belong to the registry: they are facts about the park
and its zones that the reserve (RES-2 ratio) and the emission total library (TOT-3 determination)
both read, and the library sits below the reserve. In Django's state only: the table and its rows
stay as they are (``reserve`` 0010 forgets the model, 0006 here renames the table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_working_day_calendar_2021_2026"),
        ("reserve", "0009_attainment_per_zone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AttainmentStatus",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        (
                            "indicator",
                            models.CharField(
                                choices=[
                                    ("O3", "臭氧"),
                                    ("PM25", "细颗粒物（PM2.5）"),
                                    ("PM10", "可吸入颗粒物（PM10）"),
                                    ("NO2", "二氧化氮"),
                                    ("SO2", "二氧化硫"),
                                    ("WATER", "地表水考核断面"),
                                ],
                                max_length=8,
                                verbose_name="指标",
                            ),
                        ),
                        ("attained", models.BooleanField(verbose_name="达标")),
                        ("source", models.CharField(max_length=300, verbose_name="依据")),
                        ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="录入时间")),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="录入人",
                            ),
                        ),
                        (
                            "zone",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.zone",
                                verbose_name="功能区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "环境质量达标状况",
                        "verbose_name_plural": "环境质量达标状况",
                        "ordering": ["-year", "zone__sort_order", "indicator"],
                        "db_table": "reserve_attainmentstatus",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("zone__isnull", True)),
                                fields=("year", "indicator"),
                                name="reserve_attainment_park_unique",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("zone__isnull", False)),
                                fields=("zone", "year", "indicator"),
                                name="reserve_attainment_zone_unique",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
