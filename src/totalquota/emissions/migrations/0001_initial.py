"""The verified emissions move from the reserve into the emission total library, with their data:
the model is created here in Django's state only, on the table the reserve created; the reserve's
0005 removes it from the reserve's state. Nothing in the database changes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registry", "0001_initial"),
        ("reserve", "0004_transition_columns"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VerifiedEmission",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        ("actual_grams", models.BigIntegerField(verbose_name="实际排放量")),
                        ("source", models.CharField(max_length=300, verbose_name="数据来源")),
                        ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="录入时间")),
                        ("enterprise", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.enterprise", verbose_name="排污单位")),
                        ("pollutant", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.pollutant", verbose_name="污染物")),
                        ("recorded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="录入人")),
                    ],
                    options={
                        "verbose_name": "核实排放量",
                        "verbose_name_plural": "核实排放量",
                        "ordering": ["-year", "enterprise"],
                        "db_table": "reserve_verifiedemission",
                        "constraints": [
                            models.UniqueConstraint(fields=("enterprise", "pollutant", "year"), name="reserve_verified_once"),
                            models.CheckConstraint(condition=models.Q(("actual_grams__gte", 0)), name="reserve_verified_not_negative"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
