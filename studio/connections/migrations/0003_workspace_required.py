"""The workspace of a connection is required, now that every existing one has one.

A migration of its own: on PostgreSQL, altering a table in the transaction that
updated its rows fails with "pending trigger events".
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0002_workspace'),
    ]

    operations = [
        migrations.AlterField(
            model_name='connection',
            name='workspace',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='connections', to='workspaces.workspace'),
        ),
    ]
