"""Skills and languages supporters can record; coordinators extend both lists in the admin."""

from django.db import migrations

SKILLS = [
    ("iphone", "iPhone"),
    ("android", "Android"),
    ("line", "LINE"),
    ("mynumber", "マイナンバーカード"),
    ("pc", "PC"),
    ("zoom", "Zoom"),
    ("photos", "写真・カメラ"),
    ("cashless", "キャッシュレス決済"),
]

# Japanese plus the languages of Gunma's larger foreign communities, each in its own script.
LANGUAGES = [
    ("ja", "日本語"),
    ("en", "English"),
    ("pt-br", "Português"),
    ("vi", "Tiếng Việt"),
    ("tl", "Filipino"),
    ("zh-hans", "中文"),
    ("ne", "नेपाली"),
    ("es", "Español"),
    ("ko", "한국어"),
    ("id", "Bahasa Indonesia"),
]


def add_reference_data(apps, schema_editor):
    Skill = apps.get_model("supporters", "Skill")
    SpokenLanguage = apps.get_model("supporters", "SpokenLanguage")
    for order, (code, name) in enumerate(SKILLS, start=1):
        Skill.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    for order, (code, name) in enumerate(LANGUAGES, start=1):
        SpokenLanguage.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order * 10}
        )


def remove_reference_data(apps, schema_editor):
    apps.get_model("supporters", "Skill").objects.filter(
        code__in=[code for code, _ in SKILLS], supporters=None
    ).delete()
    apps.get_model("supporters", "SpokenLanguage").objects.filter(
        code__in=[code for code, _ in LANGUAGES], supporters=None
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("supporters", "0001_initial")]
    operations = [migrations.RunPython(add_reference_data, remove_reference_data)]
