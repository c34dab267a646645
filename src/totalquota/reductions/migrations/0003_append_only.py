"""Workflow history of reduction projects cannot be rewritten: transitions and third-party
opinions refuse UPDATE and DELETE at the database."""

from django.db import migrations

from totalquota.common import append_only


class Migration(migrations.Migration):
    dependencies = [("reductions", "0002_rules_and_factors")]

    operations = [
        append_only.operation("reductions_projecttransition"),
        append_only.operation("reductions_opinion"),
    ]
