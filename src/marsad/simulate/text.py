"""Template banks written for marsad (Arabic, English, French) and the renderer that turns them into posts with
exact entity offsets.

Banks: supporter posts, hard negatives (news, condemnation, research about the organisation), ordinary chatter,
replies and quote comments for each side, shout-outs announcing returning accounts and lists of accounts to
follow, and a commercial push for control-side coordination. Placeholders: ``{h}`` a hashtag of the bank,
``{u}`` a link, ``{w}`` a wilayah, ``{c}`` a city, ``{n}`` a number, ``{new}``/``{old}`` handles, ``{name}`` a
display name, ``{m}`` a mention. Offsets are in code points, as Twitter API v1.1 and v2 give them.

Following Magdy et al. (2015), supporters say "الدولة الإسلامية" and opponents mostly "داعش"; but hard negatives
also use the full name (research, news), so the name alone does not decide.
"""
from __future__ import annotations

import hashlib
import random
import re
from typing import Iterable

SUPPORT = {
    "ar": [
        "الدولة الإسلامية باقية وتتمدد بإذن الله {h}",
        "بيان صادر عن ولاية {w} بخصوص العمليات الأخيرة {u} {h}",
        "اللهم انصر جنود الدولة الإسلامية في كل مكان {h} {h}",
        "إصدار مرئي جديد من المكتب الإعلامي لولاية {w} {u} {h}",
        "أخبار الفتوحات اليوم في ولاية {w}: تقدم المجاهدين وفرار المرتدين {h}",
        "يا أمة الإسلام هبوا لنصرة دولة الخلافة ولا تلتفتوا لإعلام الكفر {h}",
        "انشروا هذا البيان على أوسع نطاق نصرة للخلافة {u} {h}",
        "تقرير مصور: الحياة في ظل الخلافة في ولاية {w} {u} {h}",
        "مقتل {n} من جنود التحالف الصليبي على يد جنود الخلافة في ولاية {w} {h}",
        "الخلافة وعد الله ولن يخلف الله وعده، باقية وتتمدد {h}",
        "حملة إلكترونية لنصرة الدولة الإسلامية، شاركوا بالوسم {h} {h}",
        "نشرة أخبار الدولة الإسلامية لهذا اليوم {u} {h}",
        "بشرى للمسلمين: جنود الخلافة يسيطرون على مواقع جديدة في ولاية {w} بعد معارك عنيفة مع المرتدين، "
        "وغنائم كثيرة بفضل الله، انشروا الخبر نصرة لإخوانكم {u} {h} {h}",
    ],
    "en": [
        "The Islamic State is remaining and expanding by the permission of Allah {h}",
        "New release from the media office of {w} {u} {h}",
        "Brothers and sisters, spread this statement far and wide {u} {h}",
        "Mujahideen of the Khilafah advance in {w}, the apostates flee {h}",
        "O Muslims, make hijrah to the land of the Khilafah and ignore the kuffar media {h}",
        "{n} crusader soldiers killed by the soldiers of the Khilafah in {w} {h}",
        "Life under the Khilafah: photo report from {w} {u} {h}",
        "May Allah grant victory to the soldiers of the Islamic State everywhere {h} {h}",
        "Glad tidings: the soldiers of the Khilafah took new positions in {w} after fierce battles with the "
        "apostates. Spread the news to support your brothers {u} {h} {h}",
    ],
    "fr": [
        "L'État islamique reste et s'étend par la permission d'Allah {h}",
        "Nouveau communiqué du bureau médiatique de {w} {u} {h}",
        "Frères, diffusez ce message le plus largement possible {u} {h}",
        "Qu'Allah accorde la victoire aux soldats du califat {h}",
    ],
}
HARD_NEGATIVE = {
    "ar": [
        "عاجل: مقتل {n} مدنيين في هجوم تبناه تنظيم داعش قرب {c} {u} {h}",
        "داعش لا يمثل الإسلام ولا المسلمين، جرائمهم تسيء للدين {h}",
        "دراسة جديدة عن استخدام تنظيم الدولة الإسلامية لمواقع التواصل الاجتماعي {u} {h}",
        "التحالف الدولي يشن {n} غارة على مواقع داعش قرب {c} {h}",
        "كيف يجند داعش الشباب عبر تويتر؟ تقرير مفصل {u} {h}",
        "نرفض فكر داعش المتطرف، الإسلام دين رحمة {h}",
        "تويتر يغلق آلاف الحسابات المؤيدة لتنظيم الدولة {u} {h}",
        "مقابلة مع باحث في شؤون الجماعات المتطرفة حول مستقبل داعش {u} {h}",
        "نزوح آلاف العائلات من {c} هربا من بطش داعش {h}",
        "ما يسمى بالدولة الإسلامية ليست دولة ولا إسلامية {h}",
        "تحليل: لماذا تنجح دعاية الدولة الإسلامية على الإنترنت؟ {u} {h}",
        "تقرير خاص: شهادات من أهالي {c} عن الحياة تحت حكم تنظيم داعش، من الإعدامات العلنية إلى التجنيد "
        "القسري للأطفال، وكيف فر الآلاف من المدينة {u} {h}",
    ],
    "en": [
        "BREAKING: {n} killed in attack claimed by ISIS near {c} {u} {h}",
        "ISIS does not represent Islam or Muslims. {h}",
        "New report: how the Islamic State uses Twitter to recruit {u} {h}",
        "Coalition airstrikes hit ISIS positions near {c}, {n} strikes overnight {h}",
        "Thread on the so-called Islamic State's propaganda strategy, with data {u} {h}",
        "Twitter suspends thousands of ISIS-supporting accounts {u} {h}",
        "Families flee {c} as ISIS advances, UN says {u} {h}",
        "Our research on online extremism is out today {u} {h} {h}",
        "Long read: residents of {c} describe life under ISIS, from public executions to the forced "
        "recruitment of children, and how thousands escaped the city {u} {h}",
    ],
    "fr": [
        "Attentat revendiqué par Daech près de {c} : {n} morts {u} {h}",
        "Daech ne représente pas l'islam {h}",
        "Comment l'État islamique recrute sur les réseaux sociaux {u} {h}",
    ],
}
CHATTER = {
    "ar": [
        "صباح الخير يا جماعة ☀️ {h}", "مباراة رائعة اليوم {h}", "الحمد لله على كل حال",
        "سبحان الله وبحمده سبحان الله العظيم", "من يعرف مطعم زين في {c}؟", "الجو اليوم في {c} جميل جدا {h}",
        "جمعة مباركة على الجميع {h}", "شاهدوا هذا المقطع 😂 {u}", "اللهم صل وسلم على نبينا محمد",
    ],
    "en": [
        "Good morning everyone ☀️ {h}", "What a match tonight {h}", "Anyone know a good coffee place in {c}?",
        "Can't wait for the weekend {h}", "This made my day 😂 {u}", "Traffic in {c} is insane today",
    ],
    "fr": ["Bonjour tout le monde ☀️ {h}", "Quel match ce soir {h}", "Vivement le week-end {h}"],
}
REPLY = {
    "supporter": {"ar": ["جزاك الله خيرا أخي، نصر الله الخلافة", "بارك الله فيك، باقية بإذن الله {h}",
                         "اللهم انصر إخواننا في ولاية {w}"],
                  "en": ["JazakAllah khair akhi, the Khilafah is remaining", "May Allah protect the brothers in {w}"],
                  "fr": ["Qu'Allah te récompense frère, le califat reste"]},
    "hard_negative": {"ar": ["هذه دعاية داعش، تم الإبلاغ عن الحساب", "أين مصدر هذا الخبر؟", "لا تنشروا دعاية داعش"],
                      "en": ["This is ISIS propaganda, reported.", "Source? This needs verification."],
                      "fr": ["C'est de la propagande de Daech, signalé."]},
    "ordinary": {"ar": ["😂😂😂", "صدقت والله", "الله يسعدك"], "en": ["haha so true", "thanks!"],
                 "fr": ["merci !", "trop vrai"]},
}
QUOTE = {
    "supporter": {"ar": ["صدق والله، باقية وتتمدد {h}", "انشروا بارك الله فيكم {h}"],
                  "en": ["Allahu akbar, spread it {h}"], "fr": ["Diffusez, qu'Allah vous récompense {h}"]},
    "hard_negative": {"ar": ["انظروا كيف يروج أنصار داعش للقتل", "مثال على دعاية التنظيم على تويتر {h}"],
                      "en": ["Example of ISIS propaganda circulating today. Reported.", "This is how they recruit {h}"],
                      "fr": ["Voilà comment Daech recrute {h}"]},
}
SHOUTOUT_RETURN = {
    "ar": ["تابعوا وادعموا الأخ {new} فقد تم إيقاف حسابه السابق {old} {h}",
           "عاد الأخ {name} بحساب جديد {new} ناصروه بارك الله فيكم {h}",
           "حساب الأخ {new} بديل حسابه المعلق، نرجو المتابعة والنشر {h}"],
    "en": ["Follow and support the brother {new}, his account was suspended {h}",
           "Shoutout: {new} is back (was {old}), please follow and RT {h}",
           "Brother {name} returns as {new}. Support him, his old account was suspended {h}"],
    "fr": ["Suivez et soutenez le frère {new}, son compte a été suspendu {h}"],
}
SHOUTOUT_LIST = {
    "ar": ["ادعموا هؤلاء الإخوة: {m} {m} {m} {h}", "تابعوا الأسود الجدد {m} {m} {h}"],
    "en": ["Support these brothers: {m} {m} {m} {h}", "#FF the lions of the Khilafah {m} {m} {h}"],
    "fr": ["Soutenez ces frères : {m} {m} {h}"],
}
COMMERCIAL = {"ar": ["أفضل عروض الجوالات اليوم فقط {u} {h}", "خصومات حصرية لفترة محدودة {u} {h}"],
              "en": ["Best deals on phones today only {u} {h}", "Exclusive discounts, limited time {u} {h}"],
              "fr": ["Les meilleures offres du jour {u} {h}"]}

HASHTAGS = {
    "supporter": {"ar": ["الدولة_الإسلامية", "باقية_وتتمدد", "دولة_الخلافة", "الخلافة_الإسلامية", "جنود_الخلافة",
                         "أخبار_الدولة_الإسلامية", "ولاية_الرقة", "ولاية_نينوى"],
                  "en": ["IS", "IslamicState", "Khilafah", "Baqiya", "Caliphate", "AllEyesOnIS"],
                  "fr": ["EtatIslamique", "Khilafa", "Baqiya"]},
    "hard_negative": {"ar": ["داعش", "عاجل", "الإرهاب", "لا_لداعش", "تنظيم_داعش", "التحالف_الدولي"],
                      "en": ["ISIS", "ISIL", "Daesh", "NotInMyName", "CVE", "Syria", "Iraq"],
                      "fr": ["Daech", "EI", "terrorisme"]},
    "ordinary": {"ar": ["الهلال", "النصر", "ريال_مدريد", "برشلونة", "صباح_الخير", "جمعة_مباركة", "الرياض"],
                 "en": ["LFC", "MUFC", "NBA", "weekend", "coffee", "FridayFeeling", "TBT"],
                 "fr": ["PSG", "OM", "weekend", "bonjour"]},
    "commercial": {"ar": ["عروض_اليوم", "تخفيضات"], "en": ["deals", "sale"], "fr": ["promo"]},
}
LINK_DOMAINS = {
    "supporter": ["justpaste.it/{k}", "archive.org/details/{k}", "dump.to/{k}", "youtu.be/{k}", "sendvid.com/{k}"],
    "hard_negative": ["www.bbc.co.uk/news/world-middle-east-{n}", "www.aljazeera.net/news/{n}",
                      "www.reuters.com/article/{k}", "www.alarabiya.net/ar/{n}", "www.lemonde.fr/international/{n}",
                      "www.brookings.edu/research/{k}"],
    "ordinary": ["instagram.com/p/{k}", "www.youtube.com/watch?v={k}", "www.kooora.com/?n={n}"],
    "commercial": ["bit.ly/{k}", "souq.com/deal/{n}"],
}
WILAYAT_NAMES = {
    "ar": ["الرقة", "نينوى", "الأنبار", "الخير", "حلب", "برقة", "سيناء", "صلاح الدين", "حضرموت"],
    "en": ["Wilayat al-Raqqa", "Wilayat Ninawa", "Wilayat al-Anbar", "Wilayat Barqah", "Wilayat Sinai"],
    "fr": ["la Wilaya de Raqqa", "la Wilaya de Ninive", "la Wilaya du Sinaï"],
}
CITY_NAMES = {
    "ar": ["الموصل", "الرقة", "حلب", "بغداد", "سرت", "الرمادي", "كوباني", "دير الزور"],
    "en": ["Mosul", "Raqqa", "Aleppo", "Baghdad", "Kobani", "Ramadi", "Sirte", "Deir ez-Zor"],
    "fr": ["Mossoul", "Raqqa", "Alep", "Bagdad", "Kobané"],
}

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SLOT = re.compile(r"\{(\w+)\}")


def b62(data: bytes, n: int) -> str:
    v = int.from_bytes(data, "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, 62)
        out.append(_B62[r])
    return "".join(out)


def tco(expanded: str) -> str:
    """The t.co short link Twitter would show for a URL (deterministic)."""
    return "https://t.co/" + b62(hashlib.blake2b(expanded.encode(), digest_size=10).digest(), 10)


class Text:
    """A rendered post text with entity spans (code-point offsets).

    hashtags: [(tag, start, end)]; urls: [(short, expanded, display, start, end)];
    mentions: [(handle, account_id, name, start, end)]."""

    __slots__ = ("text", "lang", "hashtags", "urls", "mentions", "cache")

    def __init__(self, text: str, lang: str, hashtags: list, urls: list, mentions: list):
        self.text, self.lang, self.hashtags, self.urls, self.mentions = text, lang, hashtags, urls, mentions
        self.cache: dict = {}

    def shifted(self, offset: int, limit: int) -> tuple[list, list, list]:
        """Entities moved right by ``offset``, keeping those that end at or before ``limit``."""
        def mv(items: list) -> list:
            return [(*it[:-2], it[-2] + offset, it[-1] + offset) for it in items if it[-1] + offset <= limit]
        return mv(self.hashtags), mv(self.urls), mv(self.mentions)


class Renderer:
    """Fills templates deterministically from its own random stream."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def _code(self) -> str:
        return "".join(self.rng.choice(_B62) for _ in range(self.rng.randint(6, 9)))

    def link(self, side: str) -> str:
        pat = self.rng.choice(LINK_DOMAINS[side])
        return "http://" + pat.format(k=self._code(), n=self.rng.randint(10_000_000, 99_999_999))

    def render(self, template: str, lang: str, side: str, *, hashtags: Iterable[str] | None = None,
               link: str | None = None, handles: dict | None = None, mentions: list | None = None,
               prefix_mention: tuple | None = None) -> Text:
        """Render ``template``. ``handles`` maps new/old to (handle, id, name) tuples; ``mentions`` fills {m}
        in order; ``prefix_mention`` starts the text with "@handle " (a reply)."""
        rng = self.rng
        parts: list[str] = []
        pos = 0
        tags: list = []
        urls: list = []
        ments: list = []
        fixed_tags = list(hashtags) if hashtags else None
        mention_iter = iter(mentions or [])

        def add(s: str) -> None:
            nonlocal pos
            parts.append(s)
            pos += len(s)

        def add_mention(m: tuple) -> None:
            start = pos
            add("@" + m[0])
            ments.append((m[0], m[1], m[2], start, pos))

        if prefix_mention:
            add_mention(prefix_mention)
            add(" ")
        last = 0
        for mt in _SLOT.finditer(template):
            add(template[last:mt.start()])
            last = mt.end()
            slot = mt.group(1)
            if slot == "h":
                bank = HASHTAGS[side][lang] if side in HASHTAGS else HASHTAGS["ordinary"][lang]
                tag = fixed_tags.pop(0) if fixed_tags else rng.choice(bank)
                start = pos
                add("#" + tag)
                tags.append((tag, start, pos))
            elif slot == "u":
                expanded = link or self.link(side)
                short = tco(expanded)
                start = pos
                add(short)
                disp = expanded.split("://", 1)[1]
                urls.append((short, expanded, disp if len(disp) <= 26 else disp[:25] + "…", start, pos))
            elif slot == "w":
                add(rng.choice(WILAYAT_NAMES[lang]))
            elif slot == "c":
                add(rng.choice(CITY_NAMES[lang]))
            elif slot == "n":
                add(str(rng.choice([3, 5, 7, 9, 12, 15, 20, 25, 30, 40, 60, 100])))
            elif slot in ("new", "old"):
                add_mention(handles[slot])
            elif slot == "name":
                add(handles["name"])
            elif slot == "m":
                m = next(mention_iter, None)
                if m is not None:
                    add_mention(m)
        add(template[last:])
        text = re.sub(r"\s{2,}", " ", "".join(parts)).rstrip()
        if text != "".join(parts):  # a missing {m} left a double space: re-render offsets from the text
            return _reindex(text, lang, tags, urls, ments)
        return Text(text, lang, tags, urls, ments)


def _reindex(text: str, lang: str, tags: list, urls: list, ments: list) -> Text:
    """Recompute offsets by searching each entity in order (used after whitespace clean-up)."""
    out_t, out_u, out_m = [], [], []
    cursor = {"#": 0, "u": 0, "@": 0}
    for tag, *_ in tags:
        i = text.index("#" + tag, cursor["#"])
        out_t.append((tag, i, i + len(tag) + 1))
        cursor["#"] = i + 1
    for short, exp, disp, *_ in urls:
        i = text.index(short, cursor["u"])
        out_u.append((short, exp, disp, i, i + len(short)))
        cursor["u"] = i + 1
    for h, aid, name, *_ in ments:
        i = text.index("@" + h, cursor["@"])
        out_m.append((h, aid, name, i, i + len(h) + 1))
        cursor["@"] = i + 1
    return Text(text, lang, out_t, out_u, out_m)


def build_bank(renderer: Renderer, templates: dict, side: str, per_lang: int) -> dict[str, list[Text]]:
    """Pre-render ``per_lang`` variants of a bank for each language (posts pick among them)."""
    out = {}
    for lang, temps in templates.items():
        out[lang] = [renderer.render(temps[i % len(temps)], lang, side) for i in range(per_lang)]
    return out


# --- people: names, handles, bios, avatars ---------------------------------------------------------------------

KUNYA_NAMES = [  # (Arabic, transliterations)
    ("محمد", ["muhammad", "mohammed", "mohamed"]), ("عبدالله", ["abdullah", "abdallah"]), ("عمر", ["omar", "umar"]),
    ("أحمد", ["ahmad", "ahmed"]), ("خالد", ["khalid", "khaled"]), ("يوسف", ["yusuf", "yousef"]),
    ("حمزة", ["hamza", "hamzah"]), ("بكر", ["bakr", "bakir"]), ("مصعب", ["musab", "mosab"]),
    ("أسامة", ["usama", "osama"]), ("طلحة", ["talha", "talhah"]), ("الزبير", ["zubair", "zubayr"]),
    ("سعد", ["saad", "sad"]), ("علي", ["ali", "aly"]), ("عثمان", ["uthman", "othman"]), ("قتادة", ["qatada", "qatadah"]),
    ("معاذ", ["muadh", "moaz"]), ("سفيان", ["sufyan", "sofian"]), ("جعفر", ["jafar", "jaafar"]),
    ("عبيدة", ["ubaida", "obaida"]), ("دجانة", ["dujana", "dujanah"]), ("هاجر", ["hajar", "haajar"]),
]
NISBA = [
    ("الشامي", ["shami", "shaami"]), ("العراقي", ["iraqi", "eraqi"]), ("المصري", ["masri", "misri"]),
    ("الجزراوي", ["jazrawi", "jazarawi"]), ("البريطاني", ["britani", "baritani"]), ("التونسي", ["tunisi", "tounsi"]),
    ("الليبي", ["libi", "liby"]), ("الأنصاري", ["ansari", "ansary"]), ("المهاجر", ["muhajir", "mohajer"]),
    ("الأثري", ["athari", "asari"]), ("الكويتي", ["kuwaiti", "kwaiti"]), ("الغريب", ["gharib", "ghareeb"]),
    ("الأمريكي", ["amriki", "amreeki"]), ("الفرنسي", ["faransi", "fransi"]),
]
FIRST_AR = [("محمد", "mohammed"), ("سارة", "sara"), ("فهد", "fahad"), ("نورة", "noura"), ("عبدالعزيز", "abdulaziz"),
            ("ريم", "reem"), ("سلطان", "sultan"), ("هند", "hind"), ("ماجد", "majed"), ("لينا", "lina")]
LAST_AR = [("الشمري", "alshammari"), ("العتيبي", "alotaibi"), ("حداد", "haddad"), ("المصري", "almasri"),
           ("الخطيب", "alkhatib"), ("النجار", "alnajjar"), ("القحطاني", "alqahtani"), ("يوسف", "youssef")]
FIRST_LAT = ["Sarah", "James", "Emma", "David", "Laura", "Omar", "Nadia", "Karim", "Julie", "Thomas", "Amira", "Ben"]
LAST_LAT = ["Miller", "Haddad", "Dubois", "Smith", "Martin", "Khan", "Benali", "Jones", "Schmidt", "Garcia"]
OUTLETS = ["BBC Arabic", "Reuters", "AFP", "Al Jazeera", "France 24", "Al Arabiya", "Sky News Arabia"]
BIO_SUPPORTER = {
    "ar": ["باقية وتتمدد", "الحساب رقم {k} بعد الإيقاف", "اللهم ارزقني الشهادة في سبيلك", "من أنصار دولة الخلافة",
           "غريب في زمن الغربة", "حسابي رقم {k}، تابعوا الاحتياطي"],
    "en": ["Remaining and expanding. Account #{k}", "Ghareeb. Follow my backup, account {k}",
           "Supporter of the Khilafah", "Death is not the end"],
    "fr": ["Compte n°{k}. Baqiya", "Partisan du califat"],
}
BIO_HARD_NEGATIVE = {
    "ar": ["صحفي | مهتم بشؤون الجماعات المتطرفة", "باحث في الحركات الإسلامية", "مراسل في {c}",
           "ضد التطرف والإرهاب"],
    "en": ["Researcher on jihadism and online extremism. Views my own.", "Journalist covering Syria and Iraq",
           "Counter-extremism analyst", "Reporter, Middle East desk"],
    "fr": ["Journaliste, Moyen-Orient", "Chercheur, djihadisme en ligne"],
}
BIO_ORDINARY = {
    "ar": ["أحب كرة القدم ⚽", "طالب جامعي", "", "سبحان الله وبحمده", "مهندس", "هلالي للأبد 💙"],
    "en": ["Coffee lover. Dad.", "", "Student", "Engineer. Views my own.", "Football, food, family"],
    "fr": ["", "Étudiant", "Passionné de foot"],
}
AVATAR_SUPPORTER = ["black_flag", "lion", "green_bird", "tawheed", "shahada", "IMG_{d}", "photo"]
AVATAR_OTHER = ["IMG_{d}", "me", "profile", "photo", "DSC_{d}", "image"]

CLIENTS: dict[str, list[tuple[str, str]]] = {  # family -> [(href, name)]
    "android": [("http://twitter.com/download/android", "Twitter for Android")],
    "iphone": [("http://twitter.com/download/iphone", "Twitter for iPhone")],
    "ipad": [("http://twitter.com/#!/download/ipad", "Twitter for iPad")],
    "web": [("http://twitter.com", "Twitter Web Client"), ("https://mobile.twitter.com", "Mobile Web (M2)")],
    "blackberry": [("http://blackberry.com/twitter", "Twitter for BlackBerry®"),
                   ("http://blackberry.com/twitter", "Twitter for BlackBerry")],
    "automation": [("https://ifttt.com", "IFTTT"), ("http://twitterfeed.com", "twitterfeed"),
                   ("https://dlvrit.com/", "dlvr.it")],
    "third-party": [("http://www.echofon.com/", "Echofon"), ("http://janetter.net/", "Janetter")],
}


def source_html(href: str, name: str) -> str:
    return f'<a href="{href}" rel="nofollow">{name}</a>'
