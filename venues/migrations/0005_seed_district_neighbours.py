"""Which of Maebashi's 16 districts share a border, for suggesting supporters to group visits.

Drawn from the map as best we know it (the Tone river runs between 本庁管内 and 総社・元総社, and
the former towns and villages 富士見・宮城・大胡・粕川 joined in 2004–2009 lie to the north and
east): approximate, and coordinators correct it in the admin. A pair is stored once; the field
is symmetric.
"""

from django.db import migrations

NEIGHBOURS = [
    ("honcho", "nankitsu"),
    ("honcho", "kaigaya"),
    ("honcho", "azuma"),
    ("honcho", "kamikawafuchi"),
    ("honcho", "motosoja"),
    ("honcho", "soja"),
    ("nankitsu", "soja"),
    ("nankitsu", "kiyosato"),
    ("nankitsu", "fujimi"),
    ("nankitsu", "haga"),
    ("nankitsu", "kaigaya"),
    ("haga", "kaigaya"),
    ("haga", "fujimi"),
    ("haga", "miyagi"),
    ("haga", "ogo"),
    ("kaigaya", "jonan"),
    ("kaigaya", "azuma"),
    ("azuma", "jonan"),
    ("azuma", "eimei"),
    ("azuma", "kamikawafuchi"),
    ("kamikawafuchi", "eimei"),
    ("kamikawafuchi", "shimokawafuchi"),
    ("shimokawafuchi", "eimei"),
    ("eimei", "jonan"),
    ("jonan", "ogo"),
    ("jonan", "kasukawa"),
    ("ogo", "miyagi"),
    ("ogo", "kasukawa"),
    ("miyagi", "fujimi"),
    ("miyagi", "kasukawa"),
    ("soja", "motosoja"),
    ("soja", "kiyosato"),
    ("motosoja", "kiyosato"),
]


def add_neighbours(apps, schema_editor):
    District = apps.get_model("venues", "District")
    districts = {district.code: district for district in District.objects.all()}
    for one, other in NEIGHBOURS:
        if one in districts and other in districts:
            # Historical models forget symmetry: both directions are written.
            districts[one].neighbours.add(districts[other])
            districts[other].neighbours.add(districts[one])


def remove_neighbours(apps, schema_editor):
    District = apps.get_model("venues", "District")
    codes = {code for pair in NEIGHBOURS for code in pair}
    for district in District.objects.filter(code__in=codes):
        district.neighbours.clear()


class Migration(migrations.Migration):
    dependencies = [("venues", "0004_district_neighbours")]
    operations = [migrations.RunPython(add_neighbours, remove_neighbours)]
