"""The city's consultation topics; coordinators edit the list afterwards."""

from django.db import migrations

TOPICS = [
    ("line", "LINE"),
    ("photos", "写真・カメラ"),
    ("phone_mail", "電話・メール"),
    ("settings", "設定・操作"),
    ("mynumber", "マイナンバーカード・マイナポータル"),
    ("cashless", "キャッシュレス決済"),
    ("security", "詐欺・セキュリティ"),
    ("apps", "アプリのインストール"),
    ("web_search", "インターネット検索"),
    ("other", "その他"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("consultations", "Topic")
    for order, (code, name) in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order * 10})


def remove_topics(apps, schema_editor):
    Topic = apps.get_model("consultations", "Topic")
    Topic.objects.filter(code__in=[code for code, _ in TOPICS], consultations=None).delete()


class Migration(migrations.Migration):
    dependencies = [("consultations", "0002_link_sessions")]
    operations = [migrations.RunPython(add_topics, remove_topics)]
