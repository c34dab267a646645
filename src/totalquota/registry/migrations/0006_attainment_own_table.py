"""The assessments' table takes the registry's name (its constraints keep theirs)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_attainment_moves_here"),
        ("reserve", "0010_attainment_moves_to_registry"),
    ]

    operations = [
        migrations.AlterModelTable(name="attainmentstatus", table=None),
    ]
