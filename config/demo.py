"""Demo data for `manage.py seed_demo`: a believable Maebashi whose FY2024 is the city's own.

令和6年度 (FY2024) reproduces the figures of DOMAIN.md exactly; the years since grow a little;
the next eight weeks have help desks, group visits and classes to book. Seeded generators and
fixed lists make the data the same for a given day; the whole run is one transaction of bulk
inserts. Reference data (districts, topics, skills, languages) comes from the migrations.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from config.fiscal import TOKYO, FiscalYear
from consultations.models import AgeBand, Consultation, Device, SessionReport, Topic
from sessions.models import REFERENCE_ALPHABET, ClassRegistration, DispatchRequest, Session, Shift
from sessions.services import generate_helpdesk_sessions, mark_all_held
from supporters.models import COORDINATORS_GROUP, Skill, SpokenLanguage, Supporter, User
from venues.closures import is_closed
from venues.models import District, HelpdeskSchedule, Venue

SEED = "digisapo-demo"
FY2024 = FiscalYear(2024)
# 令和6年度, the city's own figures (DOMAIN.md).
FY2024_HELPDESKS_PER_VENUE = 25
FY2024_CONSULTATIONS = 1523
FY2024_DISPATCH_PARTICIPANTS = 658
# Whole years since grow by 5–10%: FY2025 has 185 help desks (+6%) and 78 visits (+8%).
CONSULTATION_TOTALS = {2024: FY2024_CONSULTATIONS, 2025: 1650}
PARTICIPANT_TOTALS = {2024: FY2024_DISPATCH_PARTICIPANTS, 2025: 712}
FY2024_ACTIVE_SUPPORTERS = 132
# Group visits per month, April to March: 72 in FY2024, a little more in the years since.
FY2024_DISPATCH_MONTHS = (4, 6, 7, 6, 4, 6, 8, 8, 5, 4, 6, 8)
LATER_DISPATCH_MONTHS = (5, 6, 7, 7, 4, 7, 9, 8, 5, 4, 7, 9)
UPCOMING = timedelta(weeks=8)

DEMO_USERNAMES = ("coordinator", "supporter", "admin")
DEMO_SUPPORTER_PHONE = "+819012340000"
# A supporter signs in by phone code, so roster accounts get no password; a fixed unusable
# value (instead of Django's random one) keeps two runs identical.
NO_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "demo"


class DemoError(Exception):
    pass


@dataclass(frozen=True)
class Hall:
    name: str
    kana: str
    address: str
    district: str
    latitude: str
    longitude: str
    phone: str
    access: str
    accessibility: str
    wifi: str = ""
    # Help desks only: (weekday, weeks of the month, start, end, supporters needed), the mean
    # number of residents per sitting, and the districts its supporters come from.
    helpdesk: tuple | None = None
    visitors: float = 0
    catchment: tuple[str, ...] = ()


TUE, WED, THU, FRI, SAT = 1, 2, 3, 4, 5
MORNING, AFTERNOON = (time(10), time(12)), (time(13, 30), time(15, 30))

HALLS = [
    Hall(
        "中央公民館",
        "ちゅうおうこうみんかん",
        "前橋市本町二丁目12-1 前橋プラザ元気21 4階",
        "honcho",
        "36.389300",
        "139.063400",
        "027-210-2199",
        "JR前橋駅から徒歩15分。マイバス「本町二丁目」下車すぐ。前橋プラザ元気21の地下駐車場"
        "（有料、公民館の利用者は3時間無料）。",
        "正面入口は段差なし。エレベーターで4階へ。各階に多目的トイレ。受付に筆談ボードがあります。",
        "館内フリーWi-Fi（まえばしフリーWi-Fi）。パスワードは不要です。",
        (THU, "2,4,5", *MORNING, 3),
        11,
        ("honcho",),
    ),
    Hall(
        "総合福祉会館",
        "そうごうふくしかいかん",
        "前橋市日吉町二丁目17-10",
        "honcho",
        "36.393600",
        "139.075200",
        "027-232-5711",
        "JR前橋駅からバス「日吉町二丁目」下車、徒歩3分。無料駐車場あり（約100台）。",
        "玄関にスロープ、館内にエレベーター。車いすの貸し出しあり。多目的トイレは1階と3階。",
        "1階ロビーと2階会議室で無料Wi-Fi。",
        (WED, "1,3,5", *AFTERNOON, 3),
        10,
        ("honcho", "kamikawafuchi", "shimokawafuchi"),
    ),
    Hall(
        "東公民館",
        "あずまこうみんかん",
        "前橋市箱田町1089-1",
        "azuma",
        "36.398100",
        "139.046500",
        "027-251-4436",
        "JR新前橋駅から徒歩20分。関越交通バス「箱田」下車、徒歩5分。無料駐車場あり。",
        "入口にスロープあり。2階へはエレベーターをご利用ください。多目的トイレは1階。",
        "2階学習室で無料Wi-Fi。パスワードは受付でお伝えします。",
        (TUE, "2,4,5", *MORNING, 2),
        9,
        ("azuma", "motosoja"),
    ),
    Hall(
        "南橘公民館",
        "なんきつこうみんかん",
        "前橋市川原町一丁目28-1",
        "nankitsu",
        "36.414200",
        "139.069800",
        "027-231-3358",
        "JR前橋駅からバス「川原町」下車、徒歩5分。無料駐車場あり（50台）。",
        "正面玄関に段差なし。講座室は1階です。多目的トイレあり。",
        "講座室で無料Wi-Fi。",
        (FRI, "1,3,5", *MORNING, 3),
        9,
        ("nankitsu", "kiyosato", "fujimi"),
    ),
    Hall(
        "城南公民館",
        "じょうなんこうみんかん",
        "前橋市二之宮町1200-1",
        "jonan",
        "36.371500",
        "139.128400",
        "027-268-1002",
        "マイバス「城南支所前」下車すぐ。上毛電鉄「江木駅」から車で10分。無料駐車場あり。",
        "スロープと手すりあり。エレベーターあり。多目的トイレは1階。",
        "1階ロビーで無料Wi-Fi。",
        (SAT, "2,4,5", *AFTERNOON, 2),
        8,
        ("jonan", "kaigaya", "eimei", "kasukawa"),
    ),
    Hall(
        "総社公民館",
        "そうじゃこうみんかん",
        "前橋市総社町総社1645-2",
        "soja",
        "36.404600",
        "139.031200",
        "027-253-3940",
        "JR群馬総社駅から徒歩12分。無料駐車場あり。",
        "玄関にスロープあり。相談会場は1階の和室です（椅子席を用意します）。",
        "無料Wi-Fi（2階は電波が弱いことがあります）。",
        (TUE, "1,3,5", *AFTERNOON, 2),
        7,
        ("soja", "motosoja"),
    ),
    Hall(
        "大胡公民館",
        "おおごこうみんかん",
        "前橋市堀越町1115",
        "ogo",
        "36.404200",
        "139.166300",
        "027-283-2011",
        "上毛電鉄「大胡駅」から徒歩10分。大胡支所の隣です。無料駐車場あり。",
        "段差なし。多目的トイレあり。耳の聞こえにくい方は受付にお申し出ください。",
        "館内無料Wi-Fi。",
        (THU, "1,3,5", *MORNING, 2),
        7,
        ("ogo", "miyagi", "haga", "kasukawa"),
    ),
    Hall(
        "桂萱公民館",
        "かいがやこうみんかん",
        "前橋市上泉町1750-1",
        "kaigaya",
        "36.392700",
        "139.112300",
        "027-233-2611",
        "上毛電鉄「上泉駅」から徒歩8分。無料駐車場あり。",
        "入口にスロープあり。講座室は2階（エレベーターあり）。",
        "講座室で無料Wi-Fi。",
    ),
    Hall(
        "永明公民館",
        "えいめいこうみんかん",
        "前橋市下大島町565-1",
        "eimei",
        "36.367800",
        "139.101500",
        "027-261-2450",
        "JR駒形駅から徒歩20分。無料駐車場あり。",
        "段差なし。多目的トイレあり。",
    ),
    Hall(
        "第一コミュニティセンター",
        "だいいちこみゅにてぃせんたー",
        "前橋市平和町一丁目12-1",
        "honcho",
        "36.397200",
        "139.054300",
        "027-231-6271",
        "マイバス「平和町一丁目」下車、徒歩2分。駐車場は台数に限りがあります。",
        "エレベーターあり。多目的トイレは1階。",
        "無料Wi-Fi。",
    ),
    Hall(
        "富士見公民館",
        "ふじみこうみんかん",
        "前橋市富士見町田島227-1",
        "fujimi",
        "36.448300",
        "139.078900",
        "027-288-2211",
        "関越交通バス「富士見支所前」下車すぐ。無料駐車場あり。",
        "入口にスロープあり。講座室は1階。",
    ),
    Hall(
        "元総社公民館",
        "もとそうじゃこうみんかん",
        "前橋市元総社町一丁目13-1",
        "motosoja",
        "36.386900",
        "139.037200",
        "027-252-1203",
        "JR新前橋駅から徒歩15分。無料駐車場あり。",
        "段差なし。多目的トイレあり。",
        "無料Wi-Fi。",
    ),
]

FAMILY_NAMES = [
    ("高橋", "たかはし"), ("小林", "こばやし"), ("佐藤", "さとう"), ("新井", "あらい"),
    ("吉田", "よしだ"), ("清水", "しみず"), ("星野", "ほしの"), ("関口", "せきぐち"),
    ("松本", "まつもと"), ("茂木", "もてぎ"), ("須藤", "すどう"), ("阿部", "あべ"),
    ("金井", "かない"), ("田村", "たむら"), ("木村", "きむら"), ("萩原", "はぎわら"),
    ("狩野", "かりの"), ("齋藤", "さいとう"), ("中島", "なかじま"), ("井上", "いのうえ"),
    ("山田", "やまだ"), ("鈴木", "すずき"), ("田中", "たなか"), ("渡辺", "わたなべ"),
    ("伊藤", "いとう"), ("中村", "なかむら"), ("加藤", "かとう"), ("山口", "やまぐち"),
    ("石川", "いしかわ"), ("岩崎", "いわさき"), ("細谷", "ほそや"), ("角田", "つのだ"),
    ("大澤", "おおさわ"), ("根岸", "ねぎし"), ("小野里", "おのざと"), ("生方", "うぶかた"),
    ("富沢", "とみざわ"), ("福田", "ふくだ"), ("久保田", "くぼた"), ("塚越", "つかごし"),
    ("竹内", "たけうち"), ("宮下", "みやした"),
]  # fmt: skip
SENIOR_GIVEN_NAMES = [
    ("和子", "かずこ"), ("恵子", "けいこ"), ("幸子", "さちこ"), ("洋子", "ようこ"),
    ("節子", "せつこ"), ("久美子", "くみこ"), ("美智子", "みちこ"), ("京子", "きょうこ"),
    ("典子", "のりこ"), ("由美子", "ゆみこ"), ("順子", "じゅんこ"), ("悦子", "えつこ"),
    ("弘子", "ひろこ"), ("明美", "あけみ"), ("裕子", "ゆうこ"), ("千代子", "ちよこ"),
    ("弘", "ひろし"), ("茂", "しげる"), ("清", "きよし"), ("進", "すすむ"),
    ("勝", "まさる"), ("実", "みのる"), ("正雄", "まさお"), ("隆", "たかし"),
    ("修", "おさむ"), ("健一", "けんいち"), ("誠", "まこと"), ("功", "いさお"),
    ("昭", "あきら"), ("和夫", "かずお"), ("義雄", "よしお"), ("俊夫", "としお"),
    ("忠", "ただし"), ("武", "たけし"),
]  # fmt: skip
YOUNGER_GIVEN_NAMES = [
    ("直樹", "なおき"), ("美穂", "みほ"), ("大輔", "だいすけ"), ("愛", "あい"),
    ("翔太", "しょうた"), ("彩", "あや"), ("健太", "けんた"), ("陽子", "ようこ"),
    ("拓也", "たくや"), ("沙織", "さおり"),
]  # fmt: skip
# Supporters from Gunma's larger foreign communities: (family, kana, given, kana, language).
FOREIGN_SUPPORTERS = [
    ("サントス", "さんとす", "ルシア", "るしあ", "pt-br"),
    ("グエン", "ぐえん", "ティ ラン", "てぃ らん", "vi"),
    ("リー", "りー", "メイ", "めい", "zh-hans"),
    ("レイエス", "れいえす", "マリア", "まりあ", "tl"),
]
FOREIGN_RESIDENTS = [
    ("シルバ マルコス", "しるば まるこす", "pt-br"),
    ("オリベイラ アナ", "おりべいら あな", "pt-br"),
    ("ファム ヴァン ナム", "ふぁむ ゔぁん なむ", "vi"),
    ("チャン ティ ハー", "ちゃん てぃ はー", "vi"),
    ("ワン ジン", "わん じん", "zh-hans"),
    ("クルス ジョセフィン", "くるす じょせふぃん", "tl"),
    ("スミス エミリー", "すみす えみりー", "en"),
]
SUPPORTER_NOTES = [
    "平日の午前のみ参加できます。",
    "iPhoneの操作に詳しい。",
    "車で移動できるので出張サポートも可。",
    "らくらくスマートフォンの相談に慣れています。",
    "土曜日の参加を希望。",
    "マイナポータルの手続きに詳しい。",
]

# Group visits: (group, place, address, district, language of the group).
GROUP_PLACES = [
    ("岩神町いきいきサロン", "岩神町公民館", "前橋市岩神町二丁目8-5", "honcho", "ja"),
    ("城東町ふれあいサロン", "城東町自治会館", "前橋市城東町三丁目12-4", "honcho", "ja"),
    ("朝倉町寿会", "朝倉町公民館", "前橋市朝倉町二丁目15-7", "kamikawafuchi", "ja"),
    ("広瀬団地ひまわりクラブ", "広瀬団地集会所", "前橋市広瀬町三丁目20-1", "kamikawafuchi", "ja"),
    ("亀里町お茶のみサロン", "亀里町集会所", "前橋市亀里町1025-3", "shimokawafuchi", "ja"),
    ("鳥取町さわやかサロン", "鳥取町公民館", "前橋市鳥取町612-1", "haga", "ja"),
    ("上泉町ことぶき会", "上泉町自治会館", "前橋市上泉町1523-2", "kaigaya", "ja"),
    ("江木町いきいき百歳体操の会", "江木町集会所", "前橋市江木町1180-4", "kaigaya", "ja"),
    ("新前橋町住民の会", "新前橋町自治会館", "前橋市新前橋町18-22", "azuma", "ja"),
    ("箱田町ふれあい広場", "箱田町公民館", "前橋市箱田町870-5", "azuma", "ja"),
    ("元総社町シニアクラブ", "元総社町集会所", "前橋市元総社町二丁目3-9", "motosoja", "ja"),
    ("子育てサークル「こあら」", "大友町自治会館", "前橋市大友町一丁目24-6", "motosoja", "ja"),
    ("植野サロン", "植野公民館", "前橋市総社町植野356-1", "soja", "ja"),
    ("荒牧町健康づくりの会", "荒牧町公民館", "前橋市荒牧町二丁目7-12", "nankitsu", "ja"),
    ("日輪寺町すずらん会", "日輪寺町集会所", "前橋市日輪寺町204-6", "nankitsu", "ja"),
    ("青梨子町老人クラブ", "青梨子町公民館", "前橋市青梨子町1410-2", "kiyosato", "ja"),
    ("下大島町ふれあいサロン", "下大島町自治会館", "前橋市下大島町98-3", "eimei", "ja"),
    ("東善町お元気クラブ", "東善町集会所", "前橋市東善町455-1", "eimei", "ja"),
    ("二之宮町いきいきサロン", "二之宮町公民館", "前橋市二之宮町886-2", "jonan", "ja"),
    ("荒口町ひだまり会", "荒口町集会所", "前橋市荒口町317-4", "jonan", "ja"),
    ("堀越町しゃくなげ会", "堀越町公民館", "前橋市堀越町1520-7", "ogo", "ja"),
    ("鼻毛石町サロン", "鼻毛石町公民館", "前橋市鼻毛石町1860-3", "miyagi", "ja"),
    ("女渕さわやか会", "女渕公民館", "前橋市粕川町女渕421-1", "kasukawa", "ja"),
    ("原之郷サロン", "原之郷公民館", "前橋市富士見町原之郷2875-1", "fujimi", "ja"),
    ("前橋ブラジル人の集い", "国際交流ラウンジ", "前橋市千代田町二丁目5-1", "honcho", "pt-br"),
    ("技能実習生の会", "鶴光路町集会所", "前橋市鶴光路町121-5", "shimokawafuchi", "vi"),
]
REQUEST_MESSAGES = [
    "会員の多くがスマホを持ち始めたばかりです。LINEの使い方を教えてほしいです。",
    "マイナ保険証の使い方が分からないという声が多いので、まとめて教えていただけると助かります。",
    "写真をきれいに撮って、孫に送りたいという人が多いです。",
    "サロンのあとの1時間ほどでお願いできればと思います。",
    "詐欺の電話やメールが心配なので、見分け方を教えてください。",
    "キャッシュレス決済を始めたい人が数名います。",
    "",
]
COORDINATOR_NOTES = ["会場に駐車場あり（5台）。", "代表者は電話での連絡を希望。", "", ""]
DECLINE_REASONS = [
    "希望日に対応できるサポーターを確保できなかったため。",
    "営利目的の催しのため対象外。",
    "パソコンの修理のご相談のため、対象外としてご案内しました。",
]
HELPDESK_CANCELLATIONS = [
    "台風の接近により休止",
    "館内設備点検のため休止",
    "選挙の期日前投票所となるため休止",
    "大雪のため休止",
    "会場の空調工事のため休止",
]
DISPATCH_CANCELLATIONS = ["主催団体の都合により中止", "悪天候のため中止"]
REPORT_NOTES = [
    "LINEの友だち追加とスタンプの送り方を練習。皆さん熱心で時間が足りないほどでした。",
    "マイナポータルのログインで暗証番号を忘れた方が2名。市民課での再設定をご案内しました。",
    "写真の送り方を中心に。次回はビデオ通話をやってみたいとの声がありました。",
    "詐欺SMSの見分け方を説明。実際に届いたメッセージを一緒に確認しました。",
    "会場にWi-Fiがないため、サポーターのテザリングで対応しました。",
    "",
    "",
]
# Smartphone classes: (title, description, devices lent).
CLASSES = [
    (
        "LINE入門",
        "友だちの追加、メッセージやスタンプ、写真の送り方を練習します。",
        False,
    ),
    (
        "マイナポータル",
        "マイナンバーカードでマイナポータルにログインし、保険証の利用登録や薬の情報を確認します。"
        "カードと暗証番号をお持ちください。",
        False,
    ),
    (
        "はじめてのスマートフォン",
        "電源の入れ方、文字の入力、電話のかけ方から。スマートフォンをお持ちでない方には"
        "携帯電話会社の端末をお貸しします。",
        True,
    ),
    ("スマホで写真を楽しもう", "きれいに撮るコツ、アルバムの整理、家族への送り方。", False),
    ("スマホの詐欺対策", "あやしいメールやSMS、偽の警告画面の見分け方と相談先。", False),
    ("キャッシュレス決済入門", "QRコード決済の仕組みと、安全に使うための設定を学びます。", False),
    ("Zoomでつながろう", "オンライン会議への参加の仕方と、カメラ・マイクの設定。", False),
    ("地図アプリとバスの乗り換え", "地図アプリで行き先を調べ、バスの時刻を確かめます。", False),
]
ENGLISH_CLASS = (
    "LINE basics (English)",
    "LINE for residents from abroad: adding friends, messages, city accounts. In English.",
    False,
)

TOPIC_WEIGHTS = {
    "line": 24, "settings": 20, "photos": 13, "mynumber": 12, "phone_mail": 9,
    "apps": 7, "cashless": 5, "security": 4, "web_search": 3, "other": 3,
}  # fmt: skip
DEVICE_WEIGHTS = {
    Device.ANDROID: 38, Device.IPHONE: 35, Device.RAKURAKU: 14,
    Device.TABLET: 6, Device.PC: 4, Device.OTHER: 3,
}  # fmt: skip
AGE_WEIGHTS = {
    AgeBand.AGE_70S: 38, AgeBand.AGE_60S: 25, AgeBand.AGE_80_PLUS: 22,
    AgeBand.AGE_40S_50S: 8, AgeBand.AGE_20S_30S: 3, AgeBand.UNDER_20: 1, AgeBand.UNKNOWN: 3,
}  # fmt: skip
MINUTES_WEIGHTS = {5: 8, 10: 22, 15: 24, 20: 16, 25: 8, 30: 10, 40: 5, 45: 4, 60: 3}
# More residents in autumn (the health-insurance card change) than in August or January.
SEASON = {
    4: 0.9,
    5: 1,
    6: 1,
    7: 1,
    8: 0.85,
    9: 1,
    10: 1.1,
    11: 1.15,
    12: 1.1,
    1: 0.9,
    2: 1,
    3: 1.05,
}
OTHER_LANGUAGES = ("en", "pt-br", "vi", "zh-hans", "tl")


@dataclass
class Member:
    """A roster supporter as the generator sees them."""

    supporter: Supporter
    joined_on: date
    leaves_on: date | None  # paused or withdrawn from this day on
    venues: tuple[str, ...]

    @property
    def level(self) -> int:
        return self.supporter.training_level

    def is_active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.leaves_on is None or day < self.leaves_on)


@dataclass
class Outcome:
    today: date
    created: bool
    accounts: list[str]
    accounts_skipped: bool


def seed_demo() -> Outcome:
    """Create the demo data unless present; add the demo logins only when DEBUG is on."""
    today = timezone.localdate()
    if today <= FY2024.last_day:
        raise DemoError("The demo data needs FY2024 to be over: today must be after 2025-03-31.")
    with transaction.atomic():
        created = not demo_data_exists()
        if created:
            DemoBuilder(today).build()
        accounts = ensure_demo_accounts() if settings.DEBUG else []
    return Outcome(today, created, accounts, accounts_skipped=not settings.DEBUG)


def demo_data_exists() -> bool:
    return Venue.objects.filter(name__in=[hall.name for hall in HALLS]).exists()


def ensure_demo_accounts() -> list[str]:
    """Create the missing demo logins; returns the usernames created. Never with DEBUG off."""
    if not settings.DEBUG:
        raise DemoError("Demo accounts are only for development (DEBUG on).")
    existing = set(
        User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
    )
    created = []
    password = make_password(settings.DEMO_PASSWORD) if len(existing) < len(DEMO_USERNAMES) else ""
    if "coordinator" not in existing:
        coordinator = User.objects.create(
            username="coordinator",
            password=password,
            last_name="前橋",
            first_name="調整",
            is_staff=True,
        )
        coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS_GROUP)[0])
        created.append("coordinator")
    if "admin" not in existing:
        User.objects.create(username="admin", password=password, is_staff=True, is_superuser=True)
        created.append("admin")
    # The demo supporter is one of the roster (so FY2024 still counts 132): its account gets
    # the demo username and password.
    if "supporter" not in existing:
        updated = User.objects.filter(phone=DEMO_SUPPORTER_PHONE, supporter__isnull=False).update(
            username="supporter", password=password
        )
        if updated:
            created.append("supporter")
    return created


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _open_days(first: date, last: date) -> list[date]:
    """Monday to Saturday in [first, last], without holidays and the New Year closure."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 6 and not is_closed(day)]


def _months(fiscal_year: FiscalYear) -> list[tuple[date, date]]:
    """The twelve months of a fiscal year, April first, as (first day, last day)."""
    months = []
    for n in range(12):
        year, month = fiscal_year.start_year + (n + 3) // 12, (n + 3) % 12 + 1
        following = date(year + month // 12, month % 12 + 1, 1)
        months.append((date(year, month, 1), following - timedelta(days=1)))
    return months


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=TOKYO)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _adjust_to_total(rng: random.Random, counts: list[int], total: int, low: int, high: int):
    """Nudge random entries by one, within [low, high], until the counts add up to `total`."""
    while (gap := total - sum(counts)) != 0:
        index = rng.randrange(len(counts))
        if gap > 0 and counts[index] < high:
            counts[index] += 1
        elif gap < 0 and counts[index] > low:
            counts[index] -= 1


def _local_day(session: Session) -> date:
    return timezone.localtime(session.starts_at).date()


class DemoBuilder:
    """Builds the whole demo in memory, section by section, and inserts it in bulk."""

    def __init__(self, today: date):
        self.today = today
        self.now = timezone.now()
        self.horizon = today + UPCOMING  # first day past the bookable weeks
        self.current_year = FiscalYear.of(today)
        self.districts = {district.code: district for district in District.objects.all()}
        self.topics = {topic.code: topic for topic in Topic.objects.filter(is_active=True)}
        self.skills = {skill.code: skill for skill in Skill.objects.all()}
        self.spoken = {language.code: language for language in SpokenLanguage.objects.all()}
        # Residents' and sessions' language fields take the app's languages only.
        app_languages = {code for code, _name in settings.LANGUAGES}
        self.other_languages = [code for code in OTHER_LANGUAGES if code in app_languages]
        self.app_languages = app_languages
        self.phones: set[str] = {DEMO_SUPPORTER_PHONE}
        self.references: set[str] = set()
        self.reference_rng = self.rng("references")
        self.phone_rng = self.rng("phones")
        self.venues: dict[str, Venue] = {}
        self.members: list[Member] = []
        self.demo_member: Member | None = None
        self.sessions: list[Session] = []
        self.requests: list[tuple[DispatchRequest, datetime, list[Topic]]] = []
        self.participants: dict[int, int] = {}  # id(session) → residents who came
        self.teams: dict[int, list[Shift]] = {}  # id(session) → shifts
        self.request_for: dict[int, DispatchRequest] = {}  # id(session) → its request
        self.schedules: list[HelpdeskSchedule] = []
        self.upcoming_classes: list[Session] = []

    @staticmethod
    def rng(section: str) -> random.Random:
        # One generator per section: a change in one part leaves the others' data as it was.
        return random.Random(f"{SEED}:{section}")

    def build(self):
        self.add_venues()
        self.add_supporters()
        self.add_helpdesk_sessions()
        self.add_dispatches()
        self.add_classes()
        self.add_shifts()
        self.add_consultations()
        self.add_reports_and_registrations()
        self.add_open_requests()
        self.save_requests()

    # Reference helpers ------------------------------------------------------------------------

    def mobile(self) -> str:
        while True:
            number = f"+81{self.phone_rng.choice('789')}0{self.phone_rng.randint(1000, 9999)}"
            number += f"{self.phone_rng.randint(0, 9999):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self) -> str:
        return f"+81272{self.phone_rng.randint(10, 99)}{self.phone_rng.randint(0, 9999):04d}"

    def reference(self, prefix: str) -> str:
        while True:
            code = prefix + "-" + "".join(self.reference_rng.choices(REFERENCE_ALPHABET, k=6))
            if code not in self.references:
                self.references.add(code)
                return code

    def resident_name(self, rng: random.Random) -> tuple[str, str, str]:
        """A resident's (name, kana, language)."""
        if self.other_languages and rng.random() < 0.06:
            name, kana, language = rng.choice(FOREIGN_RESIDENTS)
            return name, kana, language if language in self.app_languages else "ja"
        family, family_kana = rng.choice(FAMILY_NAMES)
        given, given_kana = rng.choice(SENIOR_GIVEN_NAMES + YOUNGER_GIVEN_NAMES[:4])
        return f"{family} {given}", f"{family_kana} {given_kana}", "ja"

    def language(self, rng: random.Random, share: float) -> str:
        if self.other_languages and rng.random() < share:
            return rng.choice(self.other_languages)
        return "ja"

    def fiscal_years(self) -> list[FiscalYear]:
        return [FiscalYear(year) for year in range(2024, self.current_year.start_year + 1)]

    # Venues -----------------------------------------------------------------------------------

    def add_venues(self):
        venues = Venue.objects.bulk_create(
            Venue(
                name=hall.name,
                name_kana=hall.kana,
                address=hall.address,
                district=self.districts[hall.district],
                latitude=hall.latitude,
                longitude=hall.longitude,
                phone=hall.phone,
                access_notes=hall.access,
                accessibility_notes=hall.accessibility,
                has_wifi=bool(hall.wifi),
                wifi_notes=hall.wifi,
                is_helpdesk=hall.helpdesk is not None,
            )
            for hall in HALLS
        )
        self.venues = {venue.name: venue for venue in venues}
        self.schedules = HelpdeskSchedule.objects.bulk_create(
            HelpdeskSchedule(
                venue=self.venues[hall.name],
                weekday=weekday,
                weeks_of_month=weeks,
                start_time=start,
                end_time=end,
                supporters_needed=needed,
                valid_from=FY2024.first_day,
            )
            for hall in HALLS
            if hall.helpdesk
            for weekday, weeks, start, end, needed in [hall.helpdesk]
        )

    # Supporters -------------------------------------------------------------------------------

    def add_supporters(self):
        rng = self.rng("supporters")
        last_change = self.today - timedelta(days=1)
        since = (FY2024.last_day + timedelta(days=1), last_change)
        # The roster in joining order: FY2021's course graduates, then each year's newcomers.
        # Everyone who joined by 2025-03-31 and is not marked "left" or "resting" is one of
        # FY2024's 132 active supporters.
        plans = [(date(2022, 3, rng.randint(1, 25)), "counted") for _ in range(26)]
        for year, counted, left in ((2022, 40, 3), (2023, 35, 2), (2024, 31, 0)):
            first, last = FiscalYear(year).first_day, FiscalYear(year).last_day
            plans += [(_day_between(rng, first, last), "counted") for _ in range(counted)]
            plans += [(_day_between(rng, first, last), "left") for _ in range(left)]
        plans += [(_day_between(rng, date(2022, 4, 1), date(2023, 3, 31)), "resting") for _ in "ab"]
        for fiscal_year in self.fiscal_years()[1:]:
            first, last = fiscal_year.first_day, min(fiscal_year.last_day, last_change)
            if first <= last:
                count = round(16 * ((last - first).days + 1) / 365)
                plans += [(_day_between(rng, first, last), "new") for _ in range(count)]
        # Member numbers follow joining order; s0001, a course graduate, is the demo supporter.
        plans.sort(key=lambda plan: plan[0])
        # (joined on, status, paused on, withdrawn on)
        rows = []
        for joined, kind in plans:
            if kind == "left":
                left = _day_between(rng, joined + timedelta(days=60), FY2024.last_day)
                rows.append((joined, Supporter.Status.WITHDRAWN, None, left))
            elif kind == "resting":
                paused = _day_between(rng, FY2024.first_day, FY2024.last_day)
                rows.append((joined, Supporter.Status.PAUSED, paused, None))
            else:
                rows.append((joined, Supporter.Status.ACTIVE, None, None))
        # Some of FY2024's 132 have withdrawn or paused since; the first (the demo supporter)
        # stays.
        counted = [n for n, (_joined, kind) in enumerate(plans) if kind == "counted" and n > 0]
        if since[0] <= since[1]:
            changed = rng.sample(counted, 13)
            for n in changed[:8]:
                rows[n] = (rows[n][0], Supporter.Status.WITHDRAWN, None, _day_between(rng, *since))
            for n in changed[8:]:
                rows[n] = (rows[n][0], Supporter.Status.PAUSED, _day_between(rng, *since), None)

        foreign = set(rng.sample(range(1, len(rows)), len(FOREIGN_SUPPORTERS)))
        english = set(rng.sample(range(1, len(rows)), 7)) - foreign
        district_codes = sorted(self.districts, key=lambda code: self.districts[code].sort_order)
        populations = [self.districts[code].population or 1 for code in district_codes]
        names_used = set()
        users, supporters, skills, languages = [], [], [], []
        current_insurance = self.current_year.last_day
        for n, (joined, status, paused_on, withdrawn_on) in enumerate(rows):
            is_demo = n == 0
            if n in foreign:
                family, family_kana, given, given_kana, native = FOREIGN_SUPPORTERS[
                    sorted(foreign).index(n)
                ]
            else:
                native = "ja"
                while True:
                    family, family_kana = rng.choice(FAMILY_NAMES)
                    given_pool = SENIOR_GIVEN_NAMES if rng.random() < 0.75 else YOUNGER_GIVEN_NAMES
                    given, given_kana = rng.choice(given_pool)
                    if (family, given) not in names_used:
                        break
            names_used.add((family, given))
            if is_demo:
                level = 3
            elif joined < date(2022, 4, 1):  # took all five steps of the city's course
                level = rng.choices([3, 4, 5], weights=[40, 35, 25])[0]
            else:
                level = rng.choices([1, 2, 3, 4, 5], weights=[22, 30, 26, 14, 8])[0]
            district_code = "honcho" if is_demo else rng.choices(district_codes, populations)[0]
            ended = withdrawn_on or paused_on
            # Volunteer insurance runs to the end of a fiscal year; a few forgot to renew.
            insurance = FiscalYear.of(ended).last_day if ended else current_insurance
            if not ended and rng.random() < 0.05:
                insurance = FiscalYear(self.current_year.start_year - 1).last_day
            phone = DEMO_SUPPORTER_PHONE if is_demo else self.mobile()
            user = User(
                username=f"s{n + 1:04d}",
                password=NO_PASSWORD,
                last_name=family,
                first_name=given,
                phone=phone,
                phone_verified=True,
                is_active=status != Supporter.Status.WITHDRAWN,
                date_joined=_at(joined, time(10)),
            )
            users.append(user)
            supporters.append(
                Supporter(
                    family_name=family,
                    given_name=given,
                    family_name_kana=family_kana,
                    given_name_kana=given_kana,
                    district=self.districts[district_code],
                    training_level=level,
                    sms_opt_in=is_demo or rng.random() < 0.9,
                    status=status,
                    joined_on=joined,
                    paused_on=paused_on,
                    withdrawn_on=withdrawn_on,
                    insurance_valid_until=insurance,
                    notes=rng.choice(SUPPORTER_NOTES) if rng.random() < 0.12 else "",
                )
            )
            skills.append(self.skill_codes(rng, level))
            spoken = ["ja"] if native == "ja" else [native, "ja"]
            if n in english:
                spoken.append("en")
            languages.append(spoken)
            homes = tuple(
                hall.name for hall in HALLS if hall.helpdesk and district_code in hall.catchment
            )
            if rng.random() < 0.2:
                homes += (rng.choice([hall.name for hall in HALLS if hall.helpdesk]),)
            if is_demo:
                homes = ("中央公民館",)
            self.members.append(Member(supporters[-1], joined, ended, homes))

        User.objects.bulk_create(users)
        for user, supporter in zip(users, supporters, strict=True):
            supporter.user = user
        Supporter.objects.bulk_create(supporters)
        Supporter.skills.through.objects.bulk_create(
            Supporter.skills.through(supporter=supporter, skill=self.skills[code])
            for supporter, codes in zip(supporters, skills, strict=True)
            for code in codes
            if code in self.skills
        )
        Supporter.languages.through.objects.bulk_create(
            Supporter.languages.through(supporter=supporter, spokenlanguage=self.spoken[code])
            for supporter, codes in zip(supporters, languages, strict=True)
            for code in codes
            if code in self.spoken
        )
        self.demo_member = self.members[0]

    @staticmethod
    def skill_codes(rng: random.Random, level: int) -> list[str]:
        phone = rng.random()
        codes = (
            ["iphone"] if phone < 0.45 else ["android"] if phone < 0.85 else ["iphone", "android"]
        )
        if rng.random() < 0.85:
            codes.append("line")
        for code, share, min_level in (
            ("photos", 0.4, 1),
            ("mynumber", 0.6, 3),
            ("cashless", 0.25, 2),
            ("zoom", 0.15, 2),
            ("pc", 0.2, 1),
        ):
            if level >= min_level and rng.random() < share:
                codes.append(code)
        return codes

    # Sessions ---------------------------------------------------------------------------------

    def add_helpdesk_sessions(self):
        rng = self.rng("helpdesk")
        held, cancelled = [], defaultdict(list)
        later_past = []
        upcoming = []
        for schedule in self.schedules:
            sessions = generate_helpdesk_sessions(
                schedule, FY2024.first_day, self.horizon - timedelta(days=1)
            )
            self.sessions += sessions
            in_fy2024 = [s for s in sessions if _local_day(s) <= FY2024.last_day]
            # The schedule meets a little more often than 25 times: the rest were called off.
            called_off = rng.sample(in_fy2024, len(in_fy2024) - FY2024_HELPDESKS_PER_VENUE)
            for session in in_fy2024:
                if session in called_off:
                    cancelled[rng.choice(HELPDESK_CANCELLATIONS)].append(session)
                else:
                    held.append(session)
            later_past += [s for s in sessions if FY2024.last_day < _local_day(s) < self.today]
            upcoming += [s for s in sessions if _local_day(s) >= self.today]
        later_past.sort(key=lambda s: s.starts_at)
        fy2025 = {s for s in later_past if s.fiscal_year.start_year == 2025}
        called_off = set(rng.sample(sorted(fy2025, key=lambda s: s.starts_at), min(3, len(fy2025))))
        for session in later_past:
            if session in called_off or (session not in fy2025 and rng.random() < 0.02):
                cancelled[rng.choice(HELPDESK_CANCELLATIONS)].append(session)
            else:
                held.append(session)
        upcoming.sort(key=lambda s: s.starts_at)
        if len(upcoming) > 10:
            cancelled["館内の電気設備点検のため休止"].append(rng.choice(upcoming[5:]))

        mark_all_held(Session.objects.filter(pk__in=[s.pk for s in held]), by=None)
        for session in held:
            session.status = Session.Status.HELD
        for reason, sessions in cancelled.items():
            for session in sessions:
                session.status = Session.Status.CANCELLED
                session.cancellation_reason = reason
            Session.objects.filter(pk__in=[s.pk for s in sessions]).update(
                status=Session.Status.CANCELLED, cancellation_reason=reason
            )

    def add_dispatches(self):
        rng = self.rng("dispatches")
        sessions = []
        for fiscal_year in self.fiscal_years():
            per_month = FY2024_DISPATCH_MONTHS if fiscal_year == FY2024 else LATER_DISPATCH_MONTHS
            # A few visits a year were called off: those months had one more date.
            called_off = set(rng.sample(range(12), 4 if fiscal_year == FY2024 else 3))
            year_sessions = []
            for n, (first, last) in enumerate(_months(fiscal_year)):
                extra = 1 if n in called_off else 0
                days = rng.sample(_open_days(first, last), per_month[n] + extra)
                for k, day in enumerate(days):
                    if day < self.today:
                        status = "cancelled" if k == per_month[n] else "held"
                        year_sessions.append(self.dispatch(rng, day, status))
            year_sessions.sort(key=lambda session: session.starts_at)
            held = [session for session in year_sessions if session.status == "held"]
            counts = [min(25, max(3, round(rng.gauss(9.1, 3.2)))) for _ in held]
            if fiscal_year.start_year in PARTICIPANT_TOTALS and fiscal_year.last_day < self.today:
                _adjust_to_total(rng, counts, PARTICIPANT_TOTALS[fiscal_year.start_year], 3, 25)
            for session, count in zip(held, counts, strict=True):
                self.participants[id(session)] = count
                # The group said how many would come; a few more or fewer did.
                self.request_for[id(session)].residents_count = max(
                    3, count + rng.choice([-2, -1, 0, 0, 1, 2])
                )
            sessions += year_sessions
        days = _open_days(self.today + timedelta(days=5), self.horizon - timedelta(days=1))
        for day in sorted(rng.sample(days, min(4, len(days)))):
            sessions.append(self.dispatch(rng, day, Session.Status.SCHEDULED))
        _create_and_hold(sessions)
        self.sessions += sessions

    def dispatch(self, rng, day: date, status: str) -> Session:
        """A group visit on `day`, and the request it answers."""
        place = rng.choice(GROUP_PLACES)
        _group, place_name, address, district_code, language = place
        morning = rng.random() < 0.4
        starts = time(10) if morning else time(13, 30)
        session = Session(
            kind=Session.Kind.DISPATCH,
            status=status,
            place_name=place_name,
            address=address,
            district=self.districts[district_code],
            starts_at=_at(day, starts),
            ends_at=_at(day, starts) + timedelta(minutes=rng.choice([90, 120])),
            supporters_needed=rng.choice([2, 2, 3]),
            min_level=2,
            language=language if language in self.app_languages else "ja",
            cancellation_reason=(
                rng.choice(DISPATCH_CANCELLATIONS) if status == Session.Status.CANCELLED else ""
            ),
        )
        if status == Session.Status.SCHEDULED:
            received_at = self.now - timedelta(days=rng.randint(5, 25), hours=rng.randint(0, 6))
            request_status = DispatchRequest.Status.SCHEDULED
        else:
            received_at = _at(day - timedelta(days=rng.randint(20, 50)), time(rng.randint(9, 16)))
            request_status = (
                DispatchRequest.Status.DONE
                if status == Session.Status.HELD
                else DispatchRequest.Status.CANCELLED
            )
        request = self.request(rng, request_status, place, preferred=day, morning=morning)
        request.session = session
        self.requests.append((request, received_at, self.request_topics(rng)))
        self.request_for[id(session)] = request
        return session

    def request(self, rng, status: str, place: tuple, *, preferred: date, morning: bool | None):
        group, place_name, address, district_code, group_language = place
        name, kana, _language = self.resident_name(rng)
        time_of_day = (
            DispatchRequest.TimeOfDay.EITHER
            if morning is None or rng.random() < 0.3
            else DispatchRequest.TimeOfDay.MORNING
            if morning
            else DispatchRequest.TimeOfDay.AFTERNOON
        )
        devices = rng.sample(
            [Device.ANDROID, Device.IPHONE, Device.RAKURAKU, Device.TABLET],
            k=rng.choice([1, 2, 2, 3]),
        )
        return DispatchRequest(
            reference=self.reference("G"),
            group_name=group,
            representative_name=name,
            representative_kana=kana,
            representative_phone=self.landline() if rng.random() < 0.4 else self.mobile(),
            residents_count=rng.randint(4, 15),
            preferred_date_1=preferred,
            preferred_date_2=preferred + timedelta(days=7) if rng.random() < 0.5 else None,
            preferred_date_3=preferred + timedelta(days=14) if rng.random() < 0.25 else None,
            preferred_time=time_of_day,
            place_name=place_name,
            address=address,
            district=self.districts[district_code],
            devices=[device.value for device in Device if device in devices],
            wifi=rng.choices(["yes", "no", "unknown"], weights=[3, 4, 3])[0],
            preferred_language=group_language if group_language in self.app_languages else "ja",
            message=rng.choice(REQUEST_MESSAGES),
            channel=rng.choices(["phone", "web", "paper"], weights=[45, 35, 20])[0],
            status=status,
            coordinator_notes=rng.choice(COORDINATOR_NOTES),
        )

    def request_topics(self, rng) -> list[Topic]:
        codes = rng.sample(["line", "photos", "mynumber", "settings", "security", "cashless"], 2)
        return [self.topics[code] for code in codes[: rng.choice([1, 2])] if code in self.topics]

    def add_classes(self):
        rng = self.rng("classes")
        sessions = []
        halls = [hall.name for hall in HALLS]
        for fiscal_year in self.fiscal_years():
            for n, (first, last) in enumerate(_months(fiscal_year)):
                # One class a year (in June of FY2025 on) was called off for too few sign-ups.
                extra = 1 if fiscal_year != FY2024 and n == 2 else 0
                for k, day in enumerate(sorted(rng.sample(_open_days(first, last), 2 + extra))):
                    if day >= self.today:
                        continue
                    status = Session.Status.CANCELLED if k == 2 else Session.Status.HELD
                    session = self.smartphone_class(rng, day, rng.choice(CLASSES), status)
                    session.venue = self.venues[rng.choice(halls)]
                    if status == Session.Status.HELD:
                        self.participants[id(session)] = max(
                            3, round(session.capacity * rng.uniform(0.6, 1.0))
                        )
                    sessions.append(session)
        catalogue = [CLASSES[0], CLASSES[1], CLASSES[2], CLASSES[3], CLASSES[4], CLASSES[5]]
        if "en" in self.app_languages:
            catalogue.append(ENGLISH_CLASS)
        days = _open_days(self.today + timedelta(days=3), self.horizon - timedelta(days=1))
        for day, course in zip(sorted(rng.sample(days, len(catalogue))), catalogue, strict=True):
            session = self.smartphone_class(rng, day, course, Session.Status.SCHEDULED)
            session.venue = self.venues[rng.choice(halls)]
            if course is ENGLISH_CLASS:
                session.language = "en"
            sessions.append(session)
            self.upcoming_classes.append(session)
        for session in sessions:
            session.district_id = session.venue.district_id
        _create_and_hold(sessions)
        self.sessions += sessions

    @staticmethod
    def smartphone_class(rng, day: date, course: tuple, status: str) -> Session:
        title, description, loaner = course
        starts, ends = rng.choice([MORNING, AFTERNOON])
        return Session(
            kind=Session.Kind.CLASS,
            status=status,
            title=title,
            description=description,
            starts_at=_at(day, starts),
            ends_at=_at(day, ends),
            supporters_needed=3,
            min_level=3,
            capacity=rng.choice([10, 12, 15, 16, 20]),
            loaner_devices=loaner,
            cancellation_reason=(
                "申し込みが少なかったため中止" if status == Session.Status.CANCELLED else ""
            ),
        )

    # Staffing ---------------------------------------------------------------------------------

    def add_shifts(self):
        rng = self.rng("shifts")
        self.sessions.sort(key=lambda s: (s.starts_at, s.kind, s.pk))
        demo_past = 0
        demo_upcoming = {"中央公民館": 2, "class": 1}
        shifts = []
        for session in self.sessions:
            day = _local_day(session)
            must = None
            demo = self.demo_member
            if session.status == Session.Status.HELD and session.venue_id:
                if session.venue.name == "中央公民館" and demo.is_active_on(day):
                    demo_past += 1
                    must = demo if demo_past % 3 == 0 else None
            elif session.status == Session.Status.SCHEDULED:
                key = "class" if session.kind == Session.Kind.CLASS else session.place_label
                if demo_upcoming.get(key, 0) > 0:
                    demo_upcoming[key] -= 1
                    must = demo
            team = self.staff(rng, session, day, must)
            self.teams[id(session)] = team
            shifts += team
        Shift.objects.bulk_create(shifts)

    def pool(self, session: Session, day: date) -> list[Member]:
        def fits(member):
            return member.is_active_on(day) and member.level >= session.min_level

        if session.kind == Session.Kind.HELPDESK:
            local = [m for m in self.members if session.venue.name in m.venues and fits(m)]
            if len(local) > session.supporters_needed:
                return local
        return [member for member in self.members if fits(member)]

    def staff(self, rng, session: Session, day: date, must: Member | None) -> list[Shift]:
        candidates = [m for m in self.pool(session, day) if m is not must]
        needed = session.supporters_needed
        if session.status == Session.Status.SCHEDULED:
            days_ahead = (day - self.today).days
            # Places fill up as the day comes closer; most stay open for booking.
            needed = (
                needed - rng.choice([0, 0, 1]) if days_ahead < 14 else rng.randint(0, needed - 1)
            )
            needed = max(needed, 1 if must else 0)
        chosen = ([must] if must else []) + rng.sample(
            candidates, min(len(candidates), needed - (1 if must else 0))
        )
        lead = max(chosen, key=lambda m: m.level, default=None)
        shifts = []
        for member in chosen:
            role = Shift.Role.LEAD if member is lead and member.level >= 3 else Shift.Role.HELPER
            if session.status == Session.Status.HELD:
                role = Shift.Role.LEAD if member is lead else Shift.Role.HELPER
                no_show = member is not lead and member is not must and rng.random() < 0.04
                shifts.append(
                    Shift(
                        session=session,
                        supporter=member.supporter,
                        role=role,
                        status=Shift.Status.NO_SHOW if no_show else Shift.Status.ATTENDED,
                        checked_in_at=None
                        if no_show
                        else session.starts_at - timedelta(minutes=rng.randint(0, 20)),
                    )
                )
            elif session.status == Session.Status.CANCELLED:
                shifts.append(
                    Shift(
                        session=session,
                        supporter=member.supporter,
                        role=role,
                        status=Shift.Status.CANCELLED,
                        cancelled_at=min(
                            self.now, session.starts_at - timedelta(days=rng.randint(1, 4))
                        ),
                    )
                )
            else:
                shifts.append(Shift(session=session, supporter=member.supporter, role=role))
        if session.status == Session.Status.SCHEDULED and rng.random() < 0.15:
            # Someone signed up and then cancelled: the place went back to the pool.
            others = [m for m in candidates if m not in chosen]
            if others:
                shifts.append(
                    Shift(
                        session=session,
                        supporter=rng.choice(others).supporter,
                        status=Shift.Status.CANCELLED,
                        cancelled_at=self.now - timedelta(days=rng.randint(1, 3)),
                    )
                )
        return shifts

    # What happened at the sessions ------------------------------------------------------------

    def add_consultations(self):
        rng = self.rng("consultations")
        visitors = {hall.name: hall.visitors for hall in HALLS}
        # Residents per sitting against FY2024 (more sittings were held since, too).
        growth = {2024: 1.0, 2025: 1.03}
        by_year = defaultdict(list)
        for session in self.sessions:
            if session.kind == Session.Kind.HELPDESK and session.status == Session.Status.HELD:
                by_year[session.fiscal_year.start_year].append(session)
        consultations = []
        for year, sessions in sorted(by_year.items()):
            counts = [
                min(
                    20,
                    max(
                        2,
                        round(
                            rng.gauss(
                                visitors[s.venue.name]
                                * growth.get(year, 1.04)
                                * SEASON[_local_day(s).month],
                                2.2,
                            )
                        ),
                    ),
                )
                for s in sessions
            ]
            if year in CONSULTATION_TOTALS and FiscalYear(year).last_day < self.today:
                _adjust_to_total(rng, counts, CONSULTATION_TOTALS[year], 2, 20)
            for session, count in zip(sessions, counts, strict=True):
                recorders = [
                    shift.supporter.user_id
                    for shift in self.teams[id(session)]
                    if shift.status == Shift.Status.ATTENDED
                ]
                topic_weights = dict(TOPIC_WEIGHTS)
                if _local_day(session).month in (10, 11, 12):
                    topic_weights["mynumber"] = 20
                topic_weights = {
                    code: w for code, w in topic_weights.items() if code in self.topics
                }
                consultations += [
                    Consultation(
                        session=session,
                        topic=self.topics[_pick(rng, topic_weights)],
                        device=_pick(rng, DEVICE_WEIGHTS),
                        age_band=_pick(rng, AGE_WEIGHTS),
                        language=self.language(rng, 0.04),
                        is_resolved=rng.random() < 0.88,
                        minutes=_pick(rng, MINUTES_WEIGHTS),
                        recorded_by_id=rng.choice(recorders) if recorders else None,
                    )
                    for _ in range(count)
                ]
        Consultation.objects.bulk_create(consultations)
        # Recorded when the sitting ended, not when the demo was made.
        Consultation.objects.filter(session__venue__in=self.venues.values()).update(
            recorded_at=Subquery(
                Session.objects.filter(pk=OuterRef("session_id")).values("ends_at")[:1]
            )
        )

    def add_reports_and_registrations(self):
        rng = self.rng("reports")
        reports, registrations = [], []
        for session in self.sessions:
            if session.kind == Session.Kind.HELPDESK:
                continue
            team = self.teams[id(session)]
            if session.status == Session.Status.HELD:
                lead = next((s for s in team if s.role == Shift.Role.LEAD), None)
                reports.append(
                    SessionReport(
                        session=session,
                        participants=self.participants[id(session)],
                        notes=rng.choice(REPORT_NOTES),
                        recorded_by_id=lead.supporter.user_id if lead else None,
                    )
                )
            if session.kind != Session.Kind.CLASS:
                continue
            if session.status == Session.Status.HELD:
                taken = self.participants[id(session)]
                statuses = [ClassRegistration.Status.ATTENDED] * taken
                statuses += [ClassRegistration.Status.CANCELLED] * rng.randint(0, 2)
            elif session.status == Session.Status.CANCELLED:
                statuses = [ClassRegistration.Status.CANCELLED] * rng.randint(1, 4)
            elif session is self.upcoming_classes[0]:  # the popular one: full, with a queue
                statuses = [ClassRegistration.Status.REGISTERED] * session.capacity
                statuses += [ClassRegistration.Status.WAITLISTED] * 3
            else:
                statuses = [ClassRegistration.Status.REGISTERED] * round(
                    session.capacity * rng.uniform(0.3, 0.8)
                )
                statuses += [ClassRegistration.Status.CANCELLED] * rng.randint(0, 1)
            position = 0
            for status in statuses:
                name, kana, language = self.resident_name(rng)
                if session.language == "en":
                    name, kana, language = rng.choice(FOREIGN_RESIDENTS)
                    language = language if language in self.app_languages else "en"
                waiting = status == ClassRegistration.Status.WAITLISTED
                position += waiting
                registrations.append(
                    ClassRegistration(
                        reference=self.reference("C"),
                        session=session,
                        name=name,
                        name_kana=kana,
                        phone=self.mobile(),
                        language=language,
                        needs_device=session.loaner_devices and rng.random() < 0.6,
                        status=status,
                        waitlist_position=position if waiting else None,
                    )
                )
        SessionReport.objects.bulk_create(reports)
        ClassRegistration.objects.bulk_create(registrations)

    # Requests ---------------------------------------------------------------------------------

    def add_open_requests(self):
        """Requests still to answer, and some turned down or withdrawn, for the triage page."""
        rng = self.rng("requests")
        statuses = [DispatchRequest.Status.RECEIVED] * 4 + [DispatchRequest.Status.ACCEPTED] * 3
        for status in statuses:
            waited = rng.randint(0, 6) if status == DispatchRequest.Status.RECEIVED else 10
            received_at = self.now - timedelta(
                days=waited + rng.randint(0, 8), hours=rng.randint(1, 8)
            )
            preferred = self.today + timedelta(days=rng.randint(21, 50))
            request = self.request(
                rng, status, rng.choice(GROUP_PLACES), preferred=preferred, morning=None
            )
            self.requests.append((request, received_at, self.request_topics(rng)))
        past = [
            (DispatchRequest.Status.DECLINED, date(2024, 7, 10)),
            (DispatchRequest.Status.DECLINED, date(2025, 1, 20)),
            (DispatchRequest.Status.DECLINED, date(2025, 9, 8)),
            (DispatchRequest.Status.CANCELLED, date(2024, 11, 5)),
            (DispatchRequest.Status.CANCELLED, date(2025, 6, 16)),
        ]
        for status, day in past:
            day = min(day, self.today - timedelta(days=30))
            request = self.request(
                rng,
                status,
                rng.choice(GROUP_PLACES),
                preferred=day + timedelta(days=30),
                morning=None,
            )
            if status == DispatchRequest.Status.DECLINED:
                request.decline_reason = rng.choice(DECLINE_REASONS)
            self.requests.append(
                (request, _at(day, time(rng.randint(9, 16))), self.request_topics(rng))
            )

    def save_requests(self):
        requests = [request for request, _received_at, _topics in self.requests]
        DispatchRequest.objects.bulk_create(requests)
        # bulk_create stamps created_at with now; the demo's requests arrived over the years.
        for request, received_at, _topics in self.requests:
            request.created_at = received_at
        DispatchRequest.objects.bulk_update(requests, ["created_at"], batch_size=500)
        DispatchRequest.topics.through.objects.bulk_create(
            DispatchRequest.topics.through(dispatchrequest=request, topic=topic)
            for request, _received_at, topics in self.requests
            for topic in topics
        )


def _create_and_hold(sessions: list[Session]) -> None:
    """Create past sessions built as held the way the app makes them: scheduled, then marked
    held by `mark_all_held`, the only way a session becomes held."""
    held = [session for session in sessions if session.status == Session.Status.HELD]
    for session in held:
        session.status = Session.Status.SCHEDULED
    Session.objects.bulk_create(sessions)
    mark_all_held(Session.objects.filter(pk__in=[session.pk for session in held]), by=None)
    for session in held:
        session.status = Session.Status.HELD
