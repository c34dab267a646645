"""The verified emissions now belong to the emission total library (``emissions`` 0001): the
recovery cases point at that model and the reserve forgets its own, in Django's state only; the
table and its rows stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reserve", "0004_transition_columns"),
        ("emissions", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="recoverycase",
                    name="verified",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="emissions.verifiedemission",
                        verbose_name="核实排放量",
                    ),
                ),
                migrations.DeleteModel(name="VerifiedEmission"),
            ],
            database_operations=[],
        ),
    ]
