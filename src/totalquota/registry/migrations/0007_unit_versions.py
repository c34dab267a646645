"""单位沿革: every unit's versions, append-only; each registered unit gets its first version (its
values as registered, valid from the start of the rules' period, SCOPE-1)."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from totalquota.common import append_only


def backfill(apps, schema_editor):
    Enterprise = apps.get_model("registry", "Enterprise")
    UnitVersion = apps.get_model("registry", "UnitVersion")
    UnitVersion.objects.bulk_create(
        UnitVersion(
            enterprise_id=unit.pk,
            kind="register",
            effective_on=dt.date(2021, 1, 1),
            name=unit.name,
            uscc=unit.uscc,
            zone_id=unit.zone_id,
            is_active=unit.is_active,
            source="backfill",
        )
        for unit in Enterprise.objects.order_by("pk")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_attainment_own_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='enterprise',
            name='merged_into',
            field=models.ForeignKey(blank=True, help_text='被吸收合并时，存续的单位', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_units', to='registry.enterprise', verbose_name='并入单位'),
        ),
        migrations.CreateModel(
            name='UnitVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('register', '首次登记'), ('edit', '修改登记信息'), ('rename', '更名'), ('recode', '变更信用代码'), ('move', '迁入其他功能区'), ('merge', '被吸收合并'), ('absorb', '吸收合并'), ('split', '分立出新单位'), ('split_off', '由分立新设'), ('close', '注销'), ('reopen', '恢复在册')], max_length=16, verbose_name='变更类型')),
                ('effective_on', models.DateField(verbose_name='生效日期')),
                ('name', models.CharField(max_length=200, verbose_name='单位名称')),
                ('uscc', models.CharField(max_length=18, verbose_name='统一社会信用代码')),
                ('is_active', models.BooleanField(verbose_name='在册')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='依据或事由')),
                ('source', models.CharField(choices=[('bureau', '生态环境局登记'), ('permit_event', '排污许可系统事件'), ('backfill', '上线时的登记信息')], max_length=16, verbose_name='来源')),
                ('source_reference', models.CharField(blank=True, max_length=100, verbose_name='来源编号')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='登记时间')),
                ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='registry.enterprise', verbose_name='排污单位')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人')),
                ('related', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.enterprise', verbose_name='相关单位')),
                ('zone', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.zone', verbose_name='功能区')),
            ],
            options={
                'verbose_name': '单位沿革',
                'verbose_name_plural': '单位沿革',
                'ordering': ['enterprise_id', 'effective_on', 'pk'],
                'indexes': [models.Index(fields=['enterprise', 'effective_on'], name='registry_un_enterpr_56f102_idx')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        append_only.operation("registry_unitversion"),
    ]
