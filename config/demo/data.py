"""The demo's fixed facts: the city's figures for 令和6年度 (FY2024), its halls, names, places,
texts and the weights the builders draw from. Changing a list here changes the demo data.
"""

from dataclasses import dataclass
from datetime import time, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from config.fiscal import FiscalYear
from consultations.models import AgeBand, Device

SEED = "digisapo-demo"
FY2024 = FiscalYear(2024)
# 令和6年度, the city's own figures: 25 help desks at each of the seven help-desk halls, 1,523
# consultations, 658 residents at the group visits, 132 active supporters.
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
    ("LINE入門", "友だちの追加、メッセージやスタンプ、写真の送り方を練習します。", False),
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
# Each class's course level (1 入門編 … 5 活用編, the city's five-level course), by title.
CLASS_LEVELS = {
    "はじめてのスマートフォン": 1,
    "LINE入門": 2,
    "LINE basics (English)": 2,
    "スマホで写真を楽しもう": 3,
    "スマホの詐欺対策": 3,
    "Zoomでつながろう": 4,
    "マイナポータル": 4,
    "キャッシュレス決済入門": 5,
    "地図アプリとバスの乗り換え": 5,
}
# Who ran the city's 164 classes in FY2021: 61 the 13 公民館, 39 the city (for care-prevention
# volunteers), 64 the national programme and companies (about half each). Classes lending
# devices are a carrier's.
ORGANISER_WEIGHTS = {"kominkan": 61, "city": 39, "national": 32, "company": 32}
# Series: every LINE入門 is the monthly LINE class; the five-level course comes next, at the
# hall where the city first held it (FY2021), one level a week.
MONTHLY_LINE_SERIES = ("月例LINE教室", "毎月開催のLINE入門です。どの回からでも参加できます。")
FIVE_LEVEL_COURSE = (
    "スマホ講座 5段階コース",
    "入門編から活用編まで、5回でスマートフォンを一通り使えるようになる講座です。",
    "総合福祉会館",
    [
        ("スマホ講座 入門編", "電源の入れ方、画面の操作、文字の入力を練習します。"),
        ("スマホ講座 基礎編", "電話とカメラ、Wi-Fiの設定、アプリの入れ方。"),
        ("スマホ講座 応用編", "LINEでメッセージと写真を送り、ビデオ通話をしてみます。"),
        ("スマホ講座 実践編", "マイナポータルや市のホームページなど、オンラインの手続き。"),
        ("スマホ講座 活用編", "地図、キャッシュレス決済、詐欺への備え。毎日の暮らしで使います。"),
    ],
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

# Which skills help with which topic (editable in the admin): group visits asking for a topic
# suggest supporters with these skills. Phone handling is the phones' own skills.
TOPIC_SKILLS = {
    "line": ["line"],
    "photos": ["photos"],
    "phone_mail": ["iphone", "android"],
    "settings": ["iphone", "android"],
    "mynumber": ["mynumber"],
    "cashless": ["cashless"],
    "apps": ["iphone", "android"],
    "web_search": ["pc"],
}
# Devices residents bring without a skill of that code among the migrations' skills: a device
# matches the skill with its code (sessions.services.suggestions).
DEVICE_SKILLS = [("rakuraku", "らくらくスマホ"), ("tablet", "タブレット")]
