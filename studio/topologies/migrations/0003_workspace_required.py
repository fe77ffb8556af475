"""The workspace of a topology is required, now that every existing one has one.

A migration of its own: on PostgreSQL, altering a table in the transaction that
updated its rows fails with "pending trigger events".
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('topologies', '0002_workspace'),
    ]

    operations = [
        migrations.AlterField(
            model_name='topology',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='topologies', to='workspaces.workspace'),
        ),
    ]
