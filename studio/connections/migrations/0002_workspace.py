"""Every connection belongs to a workspace; existing ones join "Default"."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from studio.workspaces.upgrade import adopt_orphans


def adopt(apps, schema_editor):
    adopt_orphans(apps, "connections", "connection")


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0001_initial'),
        ('workspaces', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='connection',
            name='workspace',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='connections', to='workspaces.workspace'),
        ),
        migrations.AlterField(
            model_name='connection',
            name='name',
            field=models.CharField(max_length=200),
        ),
        migrations.AddConstraint(
            model_name='connection',
            constraint=models.UniqueConstraint(fields=('workspace', 'name'), name='connection_name_unique'),
        ),
        migrations.RunPython(adopt, migrations.RunPython.noop),
    ]
