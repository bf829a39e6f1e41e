"""Indexes every bulk insert maintains (issue 4 write speed): drop the ones another index covers, make the ones on
mostly-NULL / mostly-false columns partial (a new row skips them). In the database: plain DROP INDEX / CREATE INDEX
(Django's AlterField of a foreign key's db_index would also drop and re-validate the constraint), and the phone
number's index is kept and renamed (only its LIKE twin goes).

Covered by another index (leading columns):
- contact (coalition_id) and (family_key) [+ LIKE]: contact_name_keys (coalition_id, family_key, given_key)
- contactemail (UPPER(normalized)): one_email_per_contact (UPPER(normalized), contact_id)
- contactphone (contact_id): one_phone_per_contact (contact_id, number)
- organizationcontact (organization_id): one_link_per_org_contact (organization_id, contact_id)
- tagging (tag_id): one_tagging_per_tag_contact (tag_id, contact_id)
- contactchange (coalition_id): contact_change_feed (coalition_id, seq); (contact_id): contact_change_contact
Not queried: contactaddress (household_key) [+ LIKE], contactphone (number) LIKE (equality lookups only).
Partial: contact (merged_into_id) WHERE NOT NULL, (coalition_id) WHERE coalition_shared (replacing the index on the
flag alone), contactchange (organization_id) WHERE NOT NULL.
"""
import django.db.models.deletion
from django.db import migrations, models

DROPPED = {  # index: its definition, for the way back
    "contacts_contact_coalition_id_758b2aa4": "contacts_contact (coalition_id)",
    "contacts_contact_coalition_shared_50e740b8": "contacts_contact (coalition_shared)",
    "contacts_contact_family_key_ae447462": "contacts_contact (family_key)",
    "contacts_contact_family_key_ae447462_like": "contacts_contact (family_key varchar_pattern_ops)",
    "contacts_contact_merged_into_id_940ac4a0": "contacts_contact (merged_into_id)",
    "contact_email_match": "contacts_contactemail (UPPER(normalized))",
    "contacts_contactphone_contact_id_4e09e055": "contacts_contactphone (contact_id)",
    "contacts_contactphone_number_fe5c0b9a_like": "contacts_contactphone (number varchar_pattern_ops)",
    "contacts_contactaddress_household_key_a3315262": "contacts_contactaddress (household_key)",
    "contacts_contactaddress_household_key_a3315262_like": "contacts_contactaddress (household_key varchar_pattern_ops)",
    "contacts_organizationcontact_organization_id_a6805906": "contacts_organizationcontact (organization_id)",
    "contacts_tagging_tag_id_c711aa74": "contacts_tagging (tag_id)",
    "contacts_contactchange_coalition_id_9628a846": "contacts_contactchange (coalition_id)",
    "contacts_contactchange_contact_id_1f972f28": "contacts_contactchange (contact_id)",
    "contacts_contactchange_organization_id_ccc295a4": "contacts_contactchange (organization_id)",
}
CREATED = {
    "contact_shared": "contacts_contact (coalition_id) WHERE coalition_shared",
    "contact_merged_into": "contacts_contact (merged_into_id) WHERE merged_into_id IS NOT NULL",
    "contact_change_organization": "contacts_contactchange (organization_id) WHERE organization_id IS NOT NULL",
}


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0002_contactmerge_contactchange_coalition_and_more'),
        ('organizations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                *[migrations.RunSQL(f"DROP INDEX {name}", f"CREATE INDEX {name} ON {on}") for name, on in DROPPED.items()],
                *[migrations.RunSQL(f"CREATE INDEX {name} ON {on}", f"DROP INDEX {name}") for name, on in CREATED.items()],
                migrations.RunSQL("ALTER INDEX contacts_contactphone_number_fe5c0b9a RENAME TO contact_phone_number",
                                  "ALTER INDEX contact_phone_number RENAME TO contacts_contactphone_number_fe5c0b9a"),
            ],
            state_operations=[
                migrations.RemoveIndex(
                    model_name='contactemail',
                    name='contact_email_match',
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='coalition',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='organizations.coalition'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='coalition_shared',
                    field=models.BooleanField(default=False, help_text='has a current coalition-scope opt-in (derived)'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='family_key',
                    field=models.CharField(blank=True, editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='merged_into',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merged_from', to='contacts.contact'),
                ),
                migrations.AlterField(
                    model_name='contactaddress',
                    name='household_key',
                    field=models.CharField(blank=True, max_length=300),
                ),
                migrations.AlterField(
                    model_name='contactchange',
                    name='coalition',
                    field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.coalition'),
                ),
                migrations.AlterField(
                    model_name='contactchange',
                    name='contact',
                    field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='contacts.contact'),
                ),
                migrations.AlterField(
                    model_name='contactchange',
                    name='organization',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization'),
                ),
                migrations.AlterField(
                    model_name='contactphone',
                    name='contact',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='contacts.contact'),
                ),
                migrations.AlterField(
                    model_name='contactphone',
                    name='number',
                    field=models.CharField(help_text='E.164', max_length=20),
                ),
                migrations.AlterField(
                    model_name='organizationcontact',
                    name='organization',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='contact_links', to='organizations.organization'),
                ),
                migrations.AlterField(
                    model_name='tagging',
                    name='tag',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='taggings', to='contacts.tag'),
                ),
                migrations.AddIndex(
                    model_name='contact',
                    index=models.Index(condition=models.Q(('coalition_shared', True)), fields=['coalition'], name='contact_shared'),
                ),
                migrations.AddIndex(
                    model_name='contact',
                    index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='contact_merged_into'),
                ),
                migrations.AddIndex(
                    model_name='contactchange',
                    index=models.Index(condition=models.Q(('organization__isnull', False)), fields=['organization'], name='contact_change_organization'),
                ),
                migrations.AddIndex(
                    model_name='contactphone',
                    index=models.Index(fields=['number'], name='contact_phone_number'),
                ),
            ],
        ),
    ]
