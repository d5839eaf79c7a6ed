"""Countries of the simulated world: names (English, Arabic, aliases), cities with coordinates, time zones,
languages spoken by their accounts, ISIS "wilayat" names, and profile-location strings as people write them.

The location strings carry their own truth: each comes with a *kind* (city, country, flag, wilayah, joke,
ambiguous, empty) and the country it actually names ("" for jokes, non-places, ambiguous and empty strings), so an
evaluation can tell "the resolver was wrong" from "there was nothing to resolve".
"""
from __future__ import annotations

import random

# ISO2: (English name, [English aliases], Arabic name, [Arabic aliases], (time zone, utc offset s), languages)
_AR = {"ar": 0.90, "en": 0.08, "fr": 0.02}
_MAGHREB = {"ar": 0.70, "en": 0.05, "fr": 0.25}
_ANGLO = {"ar": 0.25, "en": 0.75, "fr": 0.0}

COUNTRY_INFO: dict[str, dict] = {
    "SA": dict(en="Saudi Arabia", en_alias=["KSA", "Saudi"], ar="السعودية", ar_alias=["المملكة العربية السعودية", "بلاد الحرمين"],
               tz=("Riyadh", 10800), langs=_AR),
    "EG": dict(en="Egypt", en_alias=["Egypt"], ar="مصر", ar_alias=["جمهورية مصر العربية", "أم الدنيا"],
               tz=("Cairo", 7200), langs=_AR),
    "KW": dict(en="Kuwait", en_alias=["Q8"], ar="الكويت", ar_alias=["دولة الكويت"], tz=("Kuwait", 10800), langs=_AR),
    "IQ": dict(en="Iraq", en_alias=["Iraq"], ar="العراق", ar_alias=["بلاد الرافدين"], tz=("Baghdad", 10800), langs=_AR),
    "SY": dict(en="Syria", en_alias=["Sham", "Syria"], ar="سوريا", ar_alias=["سورية", "الشام"],
               tz=("Baghdad", 10800), langs=_AR),
    "AE": dict(en="United Arab Emirates", en_alias=["UAE"], ar="الإمارات", ar_alias=["دولة الإمارات"],
               tz=("Abu Dhabi", 14400), langs=_AR),
    "QA": dict(en="Qatar", en_alias=["Qatar"], ar="قطر", ar_alias=["دولة قطر"], tz=("Riyadh", 10800), langs=_AR),
    "JO": dict(en="Jordan", en_alias=["Jordan"], ar="الأردن", ar_alias=["الاردن"], tz=("Jerusalem", 7200), langs=_AR),
    "LB": dict(en="Lebanon", en_alias=["Lebanon"], ar="لبنان", ar_alias=["لبنان"], tz=("Beirut", 7200),
               langs={"ar": 0.75, "en": 0.15, "fr": 0.10}),
    "PS": dict(en="Palestine", en_alias=["Palestine"], ar="فلسطين", ar_alias=["فلسطين المحتلة"],
               tz=("Jerusalem", 7200), langs=_AR),
    "YE": dict(en="Yemen", en_alias=["Yemen"], ar="اليمن", ar_alias=["اليمن السعيد"], tz=("Riyadh", 10800), langs=_AR),
    "LY": dict(en="Libya", en_alias=["Libya"], ar="ليبيا", ar_alias=["ليبيا"], tz=("Cairo", 7200), langs=_AR),
    "TN": dict(en="Tunisia", en_alias=["Tunisia"], ar="تونس", ar_alias=["تونس الخضراء"],
               tz=("West Central Africa", 3600), langs=_MAGHREB),
    "MA": dict(en="Morocco", en_alias=["Maroc"], ar="المغرب", ar_alias=["المملكة المغربية"], tz=("Casablanca", 0),
               langs=_MAGHREB),
    "DZ": dict(en="Algeria", en_alias=["Algérie"], ar="الجزائر", ar_alias=["بلد المليون شهيد"],
               tz=("West Central Africa", 3600), langs=_MAGHREB),
    "TR": dict(en="Turkey", en_alias=["Türkiye"], ar="تركيا", ar_alias=["تركيا"], tz=("Istanbul", 7200),
               langs={"ar": 0.70, "en": 0.30, "fr": 0.0}),
    "US": dict(en="USA", en_alias=["United States", "U.S.A."], ar="أمريكا", ar_alias=["الولايات المتحدة"],
               tz=("Eastern Time (US & Canada)", -18000), langs=_ANGLO),
    "GB": dict(en="United Kingdom", en_alias=["UK", "England"], ar="بريطانيا", ar_alias=["المملكة المتحدة"],
               tz=("London", 0), langs=_ANGLO),
    "FR": dict(en="France", en_alias=["France"], ar="فرنسا", ar_alias=["فرنسا"], tz=("Paris", 3600),
               langs={"ar": 0.35, "en": 0.05, "fr": 0.60}),
    "BE": dict(en="Belgium", en_alias=["Belgique"], ar="بلجيكا", ar_alias=["بلجيكا"], tz=("Brussels", 3600),
               langs={"ar": 0.35, "en": 0.15, "fr": 0.50}),
    "DE": dict(en="Germany", en_alias=["Deutschland"], ar="ألمانيا", ar_alias=["المانيا"], tz=("Berlin", 3600),
               langs={"ar": 0.55, "en": 0.40, "fr": 0.05}),
    "ES": dict(en="Spain", en_alias=["España"], ar="إسبانيا", ar_alias=["اسبانيا"], tz=("Madrid", 3600),
               langs={"ar": 0.50, "en": 0.40, "fr": 0.10}),
    "CA": dict(en="Canada", en_alias=["Canada"], ar="كندا", ar_alias=["كندا"],
               tz=("Eastern Time (US & Canada)", -18000), langs=_ANGLO),
    "PK": dict(en="Pakistan", en_alias=["Pakistan"], ar="باكستان", ar_alias=["باكستان"], tz=("Karachi", 18000),
               langs={"ar": 0.25, "en": 0.75, "fr": 0.0}),
    "ID": dict(en="Indonesia", en_alias=["Indonesia"], ar="إندونيسيا", ar_alias=["اندونيسيا"], tz=("Jakarta", 25200),
               langs={"ar": 0.30, "en": 0.70, "fr": 0.0}),
}

# ISO2: [(English, Arabic, lat, lon)] - major cities, chosen so that no city name is shared between two countries
CITIES: dict[str, list[tuple[str, str, float, float]]] = {
    "SA": [("Riyadh", "الرياض", 24.71, 46.68), ("Jeddah", "جدة", 21.49, 39.19), ("Makkah", "مكة", 21.39, 39.86),
           ("Dammam", "الدمام", 26.43, 50.10)],
    "EG": [("Cairo", "القاهرة", 30.04, 31.24), ("Alexandria, Egypt", "الإسكندرية", 31.20, 29.92),
           ("Giza", "الجيزة", 30.01, 31.21)],
    "KW": [("Kuwait City", "مدينة الكويت", 29.38, 47.99), ("Jahra", "الجهراء", 29.34, 47.66)],
    "IQ": [("Baghdad", "بغداد", 33.31, 44.37), ("Mosul", "الموصل", 36.34, 43.13), ("Basra", "البصرة", 30.51, 47.78),
           ("Fallujah", "الفلوجة", 33.35, 43.78)],
    "SY": [("Raqqa", "الرقة", 35.95, 39.01), ("Aleppo", "حلب", 36.20, 37.13), ("Damascus", "دمشق", 33.51, 36.29),
           ("Deir ez-Zor", "دير الزور", 35.33, 40.14), ("Homs", "حمص", 34.73, 36.71)],
    "AE": [("Dubai", "دبي", 25.20, 55.27), ("Abu Dhabi", "أبوظبي", 24.45, 54.38), ("Sharjah", "الشارقة", 25.35, 55.42)],
    "QA": [("Doha", "الدوحة", 25.29, 51.53), ("Al Wakrah", "الوكرة", 25.17, 51.60)],
    "JO": [("Amman", "عمّان", 31.95, 35.93), ("Zarqa", "الزرقاء", 32.07, 36.09), ("Irbid", "إربد", 32.56, 35.85)],
    "LB": [("Beirut", "بيروت", 33.89, 35.50), ("Sidon", "صيدا", 33.56, 35.37)],
    "PS": [("Gaza", "غزة", 31.50, 34.47), ("Ramallah", "رام الله", 31.90, 35.20), ("Hebron", "الخليل", 31.53, 35.10)],
    "YE": [("Sanaa", "صنعاء", 15.37, 44.19), ("Aden", "عدن", 12.79, 45.02), ("Mukalla", "المكلا", 14.54, 49.12)],
    "LY": [("Benghazi", "بنغازي", 32.12, 20.09), ("Sirte", "سرت", 31.21, 16.59), ("Derna", "درنة", 32.77, 22.64)],
    "TN": [("Tunis", "تونس العاصمة", 36.81, 10.18), ("Sfax", "صفاقس", 34.74, 10.76), ("Sousse", "سوسة", 35.83, 10.64)],
    "MA": [("Casablanca", "الدار البيضاء", 33.57, -7.59), ("Rabat", "الرباط", 34.02, -6.83),
           ("Tangier", "طنجة", 35.76, -5.83)],
    "DZ": [("Algiers", "الجزائر العاصمة", 36.75, 3.06), ("Oran", "وهران", 35.70, -0.63),
           ("Constantine", "قسنطينة", 36.37, 6.61)],
    "TR": [("Istanbul", "إسطنبول", 41.01, 28.98), ("Ankara", "أنقرة", 39.93, 32.86),
           ("Gaziantep", "غازي عنتاب", 37.07, 37.38)],
    "US": [("New York, NY", "نيويورك", 40.71, -74.01), ("Houston, TX", "هيوستن", 29.76, -95.37),
           ("Chicago, IL", "شيكاغو", 41.88, -87.63), ("Minneapolis, MN", "مينيابوليس", 44.98, -93.27)],
    "GB": [("London", "لندن", 51.51, -0.13), ("Birmingham, UK", "برمنغهام", 52.49, -1.89),
           ("Manchester", "مانشستر", 53.48, -2.24), ("Cardiff", "كارديف", 51.48, -3.18)],
    "FR": [("Paris, France", "باريس", 48.86, 2.35), ("Marseille", "مرسيليا", 43.30, 5.37),
           ("Lyon", "ليون", 45.76, 4.84), ("Toulouse", "تولوز", 43.60, 1.44)],
    "BE": [("Brussels", "بروكسل", 50.85, 4.35), ("Antwerp", "أنتويرب", 51.22, 4.40), ("Liège", "لييج", 50.63, 5.57)],
    "DE": [("Berlin", "برلين", 52.52, 13.40), ("Hamburg", "هامبورغ", 53.55, 9.99),
           ("Frankfurt", "فرانكفورت", 50.11, 8.68)],
    "ES": [("Madrid", "مدريد", 40.42, -3.70), ("Barcelona", "برشلونة", 41.39, 2.17), ("Ceuta", "سبتة", 35.89, -5.32)],
    "CA": [("Toronto", "تورنتو", 43.65, -79.38), ("Montreal", "مونتريال", 45.50, -73.57),
           ("Ottawa", "أوتاوا", 45.42, -75.70)],
    "PK": [("Karachi", "كراتشي", 24.86, 67.01), ("Lahore", "لاهور", 31.55, 74.34), ("Peshawar", "بيشاور", 34.01, 71.58)],
    "ID": [("Jakarta", "جاكرتا", -6.21, 106.85), ("Surabaya", "سورابايا", -7.25, 112.75),
           ("Bandung", "باندونغ", -6.92, 107.62)],
}

# "wilayat" of the organisation as supporters write them: ISO2 -> [(Arabic, English)]
WILAYAT: dict[str, list[tuple[str, str]]] = {
    "SY": [("ولاية الرقة", "Wilayat al-Raqqa"), ("ولاية الخير", "Wilayat al-Khayr"), ("ولاية حلب", "Wilayat Halab"),
           ("ولاية البركة", "Wilayat al-Barakah")],
    "IQ": [("ولاية نينوى", "Wilayat Ninawa"), ("ولاية الأنبار", "Wilayat al-Anbar"),
           ("ولاية صلاح الدين", "Wilayat Salahuddin")],
    "LY": [("ولاية برقة", "Wilayat Barqah"), ("ولاية طرابلس", "Wilayat Tarabulus"), ("ولاية فزان", "Wilayat Fezzan")],
    "YE": [("ولاية صنعاء", "Wilayat Sanaa"), ("ولاية حضرموت", "Wilayat Hadramaut")],
    "EG": [("ولاية سيناء", "Wilayat Sinai")],
    "SA": [("ولاية نجد", "Wilayat Najd"), ("ولاية الحجاز", "Wilayat al-Hijaz")],
    "DZ": [("ولاية الجزائر", "Wilayat al-Jazair")],
}

# profile locations that name no place ("abstain" is the right answer)
NON_PLACES = [
    "dar al-kufr", "Dar al-Kufr", "بلاد الكفر", "أرض الله الواسعة", "الأرض", "Earth", "Nowhere", "worldwide",
    "في الجنة إن شاء الله", "Jannah insha'Allah", "behind you 👀", "🏴", "dunya", "ghuraba", "الغرباء",
    "in the hearts of the believers", "حيث لا يعلم إلا الله", "somewhere", "the land of the khilafah",
]


def flag(iso2: str) -> str:
    """The flag emoji of a country, from its regional-indicator code points."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in iso2.upper())


def _noise(rng: random.Random, s: str) -> str:
    r = rng.random()
    if r < 0.08:
        return s.lower()
    if r < 0.12:
        return s.upper()
    if r < 0.20:
        return s + rng.choice([" ✌", " ❤", " !!", ".", " 🌴", " ☝"])
    if r < 0.24:
        return "  " + s + " "
    return s


def location_string(rng: random.Random, iso2: str, lang: str, supporter: bool, *, empty: float, joke: float,
                    ambiguous: float, wilayah: float) -> tuple[str, str, str]:
    """A profile location as a user would write it: (string, kind, country it names or "")."""
    r = rng.random()
    if r < empty:
        return "", "empty", ""
    r -= empty
    if r < joke:
        return rng.choice(NON_PLACES), "joke", ""
    r -= joke
    if r < ambiguous:
        other = rng.choice([c for c in CITIES if c != iso2])
        a, b = rng.choice(CITIES[iso2]), rng.choice(CITIES[other])
        i = 1 if lang == "ar" else 0
        left, right = (a[i], b[i]) if rng.random() < 0.5 else (b[i], a[i])
        sep = rng.choice(["/", " - ", " | "]) if i == 0 else rng.choice([" / ", " و "])
        return _noise(rng, left.split(",")[0] + sep + right.split(",")[0]), "ambiguous", ""
    info = COUNTRY_INFO[iso2]
    if supporter and iso2 in WILAYAT and rng.random() < wilayah:
        ar, en = rng.choice(WILAYAT[iso2])
        return _noise(rng, ar if lang == "ar" else en), "wilayah", iso2
    r = rng.random()
    city_en, city_ar, _, _ = rng.choice(CITIES[iso2])
    if r < 0.45:  # a city, maybe with the country
        if lang == "ar":
            s = city_ar if rng.random() < 0.6 else f"{city_ar}{rng.choice(['، ', ' - ', ' '])}{info['ar']}"
        else:
            base = city_en
            if "," not in base and rng.random() < 0.4:
                base = f"{base}{rng.choice([', ', ' '])}{rng.choice([info['en']] + info['en_alias'])}"
            s = base
        return _noise(rng, s), "city", iso2
    if r < 0.80:  # the country
        if lang == "ar":
            s = rng.choice([info["ar"]] + info["ar_alias"])
        else:
            s = rng.choice([info["en"]] + info["en_alias"])
        if rng.random() < 0.25:
            s = f"{s} {flag(iso2)}"
        return _noise(rng, s), "country", iso2
    return flag(iso2) * rng.choice([1, 1, 2]), "flag", iso2
