"""API token names are unique per user among live (not revoked) tokens.

Tokens created before the rule may share a name; the later ones get " (2)", " (3)", ... first.
"""

from django.db import migrations, models


def rename_duplicates(apps, schema_editor):
    ApiToken = apps.get_model("gateway_admin", "ApiToken")
    seen: dict[tuple[int, str], int] = {}
    taken = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("user_id", "name"))
    for token in ApiToken.objects.filter(revoked_at__isnull=True).order_by("created_at", "id"):
        key = (token.user_id, token.name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            continue
        n = seen[key]
        while (token.user_id, f"{token.name[:90]} ({n})") in taken:
            n += 1
        token.name = f"{token.name[:90]} ({n})"
        taken.add((token.user_id, token.name))
        token.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [("gateway_admin", "0001_initial")]

    operations = [
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.UniqueConstraint(condition=models.Q(("revoked_at__isnull", True)),
                                               fields=("user", "name"), name="apitoken_unique_live_name_per_user"),
        ),
    ]
