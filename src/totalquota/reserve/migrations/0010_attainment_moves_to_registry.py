"""The reserve forgets the environmental quality assessments, now kept by the registry
(``registry`` 0005), in Django's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reserve", "0009_attainment_per_zone"),
        ("registry", "0005_attainment_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AttainmentStatus")],
            database_operations=[],
        ),
    ]
