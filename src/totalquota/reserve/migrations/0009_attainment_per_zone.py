"""Environmental quality assessments per functional zone (TOT-3, RES-2): a nullable zone, one
record per (zone or park, indicator, year). Existing records keep no zone: they stay the park's."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0002_pollutants'),
        ('reserve', '0008_recovery_answer_days'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='attainmentstatus',
            options={'ordering': ['-year', 'zone__sort_order', 'indicator'], 'verbose_name': '环境质量达标状况', 'verbose_name_plural': '环境质量达标状况'},
        ),
        migrations.RemoveConstraint(
            model_name='attainmentstatus',
            name='reserve_attainment_unique',
        ),
        migrations.AddField(
            model_name='attainmentstatus',
            name='zone',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.zone', verbose_name='功能区'),
        ),
        migrations.AddConstraint(
            model_name='attainmentstatus',
            constraint=models.UniqueConstraint(condition=models.Q(('zone__isnull', True)), fields=('year', 'indicator'), name='reserve_attainment_park_unique'),
        ),
        migrations.AddConstraint(
            model_name='attainmentstatus',
            constraint=models.UniqueConstraint(condition=models.Q(('zone__isnull', False)), fields=('zone', 'year', 'indicator'), name='reserve_attainment_zone_unique'),
        ),
    ]
