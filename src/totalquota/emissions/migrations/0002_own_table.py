"""The verified emissions' table takes the emission library's name."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("emissions", "0001_initial"),
        ("reserve", "0005_verified_emissions_move"),
    ]

    operations = [
        migrations.AlterModelTable(name="verifiedemission", table=None),
    ]
