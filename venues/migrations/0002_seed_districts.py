"""Maebashi's 16 districts with their 2025 populations: reference data every install needs."""

from django.db import migrations

DISTRICTS = [
    ("honcho", "本庁管内", "ほんちょうかんない", 56011),
    ("kamikawafuchi", "上川淵", "かみかわふち", 23998),
    ("shimokawafuchi", "下川淵", "しもかわふち", 9313),
    ("haga", "芳賀", "はが", 8779),
    ("kaigaya", "桂萱", "かいがや", 27784),
    ("azuma", "東", "あずま", 31876),
    ("motosoja", "元総社", "もとそうじゃ", 17049),
    ("soja", "総社", "そうじゃ", 13454),
    ("nankitsu", "南橘", "なんきつ", 38586),
    ("kiyosato", "清里", "きよさと", 3583),
    ("eimei", "永明", "えいめい", 23720),
    ("jonan", "城南", "じょうなん", 17577),
    ("ogo", "大胡", "おおご", 17354),
    ("miyagi", "宮城", "みやぎ", 6961),
    ("kasukawa", "粕川", "かすかわ", 9967),
    ("fujimi", "富士見", "ふじみ", 21884),
]


def add_districts(apps, schema_editor):
    District = apps.get_model("venues", "District")
    for order, (code, name, kana, population) in enumerate(DISTRICTS, start=1):
        District.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_kana": kana, "population": population, "sort_order": order},
        )


def remove_districts(apps, schema_editor):
    District = apps.get_model("venues", "District")
    District.objects.filter(code__in=[code for code, *_ in DISTRICTS], venues=None).delete()


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]
    operations = [migrations.RunPython(add_districts, remove_districts)]
