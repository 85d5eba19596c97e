"""The words a draft and a Reminder are made of, per language: English, German, French, Spanish.

``language = "de"`` in ``followsync.toml`` (or a row's ``Language`` cell) chooses the shipped
template set and everything here: the interview's day in words (:func:`day_in_words`, with
Babel's month and weekday names), dates (:func:`short_date`), the salutation and greeting with
the language's honorifics (:func:`salutation`, :func:`greeting`), how a list is joined
(:func:`join_words`) and the Reminder sentences (:data:`REMINDERS`). English is the
reference: its words here are the ones followsync has always written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from babel.dates import format_date, format_skeleton

if TYPE_CHECKING:
    from .wording import Person

ENGLISH = "en"
LANGUAGES = ("en", "de", "fr", "es")
NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}
# What a Language cell or the setting may say besides the code ("de-DE", "Deutsch").
_ALIASES = {
    "english": "en", "englisch": "en", "anglais": "en", "inglés": "en", "ingles": "en",
    "german": "de", "deutsch": "de", "allemand": "de", "alemán": "de", "aleman": "de",
    "french": "fr", "français": "fr", "francais": "fr", "französisch": "fr", "francés": "fr",
    "spanish": "es", "español": "es", "espanol": "es", "spanisch": "es", "espagnol": "es",
}  # fmt: skip


def code(value: str | None, default: str = ENGLISH) -> str:
    """A language as one of :data:`LANGUAGES`: 'de', 'DE', 'de-AT', 'Deutsch' -> 'de';
    blank or unknown -> ``default``."""
    s = (value or "").strip().lower().replace("_", "-")
    if not s:
        return default
    s = _ALIASES.get(s, s.split("-")[0])
    return s if s in LANGUAGES else default


def is_known(value: str) -> bool:
    s = value.strip().lower().replace("_", "-")
    return s in _ALIASES or s.split("-")[0] in LANGUAGES


@dataclass(frozen=True)
class Words:
    """One language's small words: the day phrases, the list joiner, the salutations."""

    today: str
    yesterday: str
    on_weekday: str  # "{weekday}" inside
    on_date: str  # "{date}" inside
    and_: str
    nobody: str  # the salutation when no name is known
    nobody_contact: str  # the same for an Other contact with only an address
    hello: str  # the LinkedIn and neutral greeting word
    hello_comma: bool  # "Buenos días, Ana Ruiz" puts a comma after the greeting
    dear_f: str  # the salutation of a woman by honorific, "{name}" inside
    dear_m: str
    title_f: str  # the honorific before a woman's surname
    title_m: str


WORDS = {
    "de": Words("heute", "gestern", "am {weekday}", "am {date}", "und", "Sehr geehrte Damen und Herren",
                "Sehr geehrte Damen und Herren", "Guten Tag", True, "Sehr geehrte {name}",
                "Sehr geehrter {name}", "Frau", "Herr"),
    "fr": Words("aujourd'hui", "hier", "{weekday}", "le {date}", "et", "Madame, Monsieur", "Madame, Monsieur",
                "Bonjour", False, "Bonjour {name}", "Bonjour {name}", "Madame", "Monsieur"),
    "es": Words("hoy", "ayer", "el {weekday}", "el {date}", "y", "Estimado equipo de selección",
                "Estimado equipo de selección", "Buenos días", True, "Estimada {name}", "Estimado {name}",
                "Sra.", "Sr."),
}  # fmt: skip

_FEMALE = ("Ms.", "Mrs.", "Miss")
_MALE = ("Mr.",)
# Honorifics a person writes in another language, as the canonical ones of wording.HONORIFICS.
FOREIGN_HONORIFICS = {
    "frau": "Ms.", "herr": "Mr.", "madame": "Ms.", "mme": "Ms.", "mademoiselle": "Ms.",
    "mlle": "Ms.", "monsieur": "Mr.", "sra": "Ms.", "srta": "Ms.", "señora": "Ms.", "señorita": "Ms.",
    "sr": "Mr.", "señor": "Mr.", "dra": "Dr.",
}  # fmt: skip


@lru_cache(maxsize=1 << 12)
def day_in_words(day: dt.date | None, today: dt.date | None, language: str) -> str:
    """The interview's day as a message in ``language`` says it: 'gestern', 'am Dienstag',
    'le 3 novembre', 'el 3 de noviembre de 2025' (the year when it is not this year's). With
    ``today`` None (``wording.said_on``), always the date: 'am 3. November'."""
    if day is None:
        return ""
    w = WORDS[language]
    if today is None:
        return w.on_date.format(date=long_date(day, language, with_year=False))
    delta = (today - day).days
    if delta == 0:
        return w.today
    if delta == 1:
        return w.yesterday
    if 2 <= delta <= 6:
        return w.on_weekday.format(weekday=format_date(day, "EEEE", locale=language))
    return w.on_date.format(date=long_date(day, language, with_year=day.year != today.year))


def long_date(day: dt.date, language: str, *, with_year: bool = True) -> str:
    """'3. November 2026', '3 novembre 2026' ('1er novembre'), '3 de noviembre de 2026'."""
    text = format_skeleton("dMMMMy" if with_year else "dMMMM", day, locale=language)
    if language == "fr" and day.day == 1:
        text = "1er" + text[1:]
    return text


def short_date(day: dt.date, language: str) -> str:
    """A due date in a Reminder: 'Tue 3 Nov', 'Di., 3. Nov.', 'mar. 3 nov.', 'mar, 3 nov'."""
    if language == ENGLISH:
        return f"{day:%a} {day.day} {day:%b}"
    return format_skeleton("EEEdMMM", day, locale=language)


def join_words(items: Sequence[str], language: str = ENGLISH) -> str:
    """'a', 'a and b', 'a, b and c' in the language ('a, b und c'; Spanish 'y' is 'e' before an i-sound)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    joiner = "and" if language == ENGLISH else WORDS[language].and_
    if language == "es" and items[-1].lower().startswith(("i", "hi")) and not items[-1].lower().startswith("hie"):
        joiner = "e"
    return ", ".join(items[:-1]) + f" {joiner} " + items[-1]


def formal(p: Person, language: str) -> str:
    """How a message names a person formally: 'Frau Jones', 'Madame Jones', 'Sra. Jones';
    'Dr. Raman' in German and Spanish; the full name when no honorific says more."""
    w = WORDS[language]
    if p.surname and p.honorific in _FEMALE:
        return f"{w.title_f} {p.surname}"
    if p.surname and p.honorific in _MALE:
        return f"{w.title_m} {p.surname}"
    if p.surname and p.honorific in ("Dr.", "Prof.") and language != "fr":
        return f"{p.honorific} {p.surname}"
    return p.full


def named(p: Person, language: str) -> str:
    """A person named in a sentence: 'Frau Jane Jones', 'Herrn Tom Becker' in German, the full name in French and Spanish."""
    if language == "de":  # always as an object ("mit Herrn Becker", "Herrn Becker anrufen")
        title = {**dict.fromkeys(_FEMALE, "Frau"), **dict.fromkeys(_MALE, "Herrn")}.get(p.honorific, p.honorific)
        return " ".join(x for x in (title if title != "Mx." else "", p.full) if x)
    return p.full


def _dear(p: Person, language: str) -> str | None:
    """'Sehr geehrte Frau Jones'; None when the honorific tells no gender."""
    w = WORDS[language]
    if p.surname and p.honorific in _FEMALE:
        return w.dear_f.format(name=formal(p, language))
    if p.surname and p.honorific in _MALE:
        return w.dear_m.format(name=formal(p, language))
    return None


def greeting(names: str, language: str) -> str:
    """The neutral greeting before names: 'Guten Tag Lena Fischer', 'Buenos días, Lena Fischer'."""
    w = WORDS[language]
    return f"{w.hello}{',' if w.hello_comma else ''} {names}"


def salutation(people: Sequence[Person], language: str, *, contact: bool = False) -> str:
    """The salutation: by honorific where it tells how ('Sehr geehrte Frau Jones, sehr geehrter
    Herr Lee'), else the neutral greeting with the names; with nobody, the neutral form."""
    w = WORDS[language]
    if not people:
        return w.nobody_contact if contact else w.nobody
    dears = [_dear(p, language) for p in people]
    if all(dears):
        if language == "fr":
            return "Bonjour " + join_words([formal(p, language) for p in people], language)
        first, *rest = [d for d in dears if d]
        return ", ".join([first, *(r[:1].lower() + r[1:] for r in rest)])
    return greeting(join_words([formal(p, language) for p in people], language), language)


# ----------------------------------------------------------------------------------------
# Reminder sentences (RULES.md section 1, Reminder): one set per language, English the original.

REMINDERS: dict[str, dict[str | int, str]] = {
    "en": {
        "company": "the company", "who": "the interviewer",
        "role": "the {job} role at {company}", "application": "your application at {company}",
        "sentence": "{urgency}: {what}.",
        "fix": "Fix this row's Problems so followsync can work out the next step.",
        3: "reply by email to the rejection from {company}: thank them, ask for feedback and a referral",
        6: "prepare for the interview at {company}, and ask about their timeline at the end",
        7: "email {who} a thank-you note for the interview for {role}",
        9: "email {who} to follow up on {role}",
        10: "email {who} a friendly reminder about {role}",
        "phone": "call {who} on {phone} about {role}, since emails went unanswered",
        "other_contact": "email {other} about {role}, since {who} has not answered",
        "email": "email {who} once more about {role}; add an Other contact or a phone number to widen the net",
        # Rule 11 after mail to the interviewer bounced (the inbox step).
        "bounced_phone": "call {who} on {phone} about {role}, since your email to them bounced",
        "bounced_other_contact": "email {other} about {role}, since your email to {who} bounced",
        "linkedin": "message {who} on LinkedIn about {role}, since your email bounced; or add an Other contact",
        12: "email {who} a final, gracious note about {role}, then move on",
        8: "{company} answered on {when}; Status still says {status}: "
        "update it (Next round, Offer, Rejected...) so followsync knows what comes next.",
        13: "No answer after {n} follow-ups: mark this application Closed and put your energy elsewhere.",
        "overdue": "Overdue since {day}", "today": "Due today", "due": "Due {day}",
    },
    "de": {
        "company": "dem Unternehmen", "who": "Ihrer Ansprechperson",  # {who} is always a dative
        "role": "Bewerbung als {job} bei {company}", "application": "Bewerbung bei {company}",
        "sentence": "{urgency}: {what}.",
        "fix": "Beheben Sie die Einträge in der Spalte „Problems“, damit followsync den nächsten Schritt bestimmen kann.",
        3: "auf die Absage von {company} per E-Mail antworten: bedanken, um Feedback und eine Empfehlung bitten",
        6: "sich auf das Vorstellungsgespräch bei {company} vorbereiten und am Ende nach dem Zeitplan fragen",
        7: "{who} eine Dankesmail zum Vorstellungsgespräch schicken ({role})",
        9: "per E-Mail bei {who} nach dem Stand fragen ({role})",
        10: "{who} eine freundliche Erinnerung per E-Mail schicken ({role})",
        "phone": "bei {who} unter {phone} anrufen ({role}), da die E-Mails unbeantwortet blieben",
        "other_contact": "an {other} schreiben ({role}), da von {who} keine Antwort kam",
        "email": "{who} noch einmal schreiben ({role}); tragen Sie einen weiteren Kontakt oder eine "
        "Telefonnummer ein, um mehr Wege zu haben",
        "bounced_phone": "bei {who} unter {phone} anrufen ({role}), da Ihre E-Mail nicht zugestellt werden konnte",
        "bounced_other_contact": "an {other} schreiben ({role}), da Ihre E-Mail nicht zugestellt werden konnte",
        "linkedin": "{who} auf LinkedIn schreiben ({role}), da Ihre E-Mail nicht zugestellt werden konnte; "
        "oder tragen Sie einen weiteren Kontakt ein",
        12: "{who} eine letzte, freundliche Nachricht schicken ({role}) und dann abschließen",
        8: "Antwort von {company} am {when}; der Status lautet noch {status}: aktualisieren Sie ihn "
        "(Next round, Offer, Rejected …), damit followsync weiß, wie es weitergeht.",
        13: "Keine Antwort nach {n} Nachfragen: Markieren Sie diese Bewerbung als Closed und "
        "konzentrieren Sie sich auf andere Chancen.",
        "overdue": "Überfällig seit {day}", "today": "Heute fällig", "due": "Fällig am {day}",
    },
    "fr": {
        "company": "l'entreprise", "who": "votre interlocuteur",
        "role": "le poste de {job} chez {company}", "application": "votre candidature chez {company}",
        "sentence": "{urgency}\u202f: {what}.",
        "fix": "Corrigez ce que signale la colonne « Problems » pour que followsync puisse déterminer la suite.",
        3: "répondre par e-mail au refus de {company}\u202f: remercier, demander un retour et une recommandation",
        6: "préparer l'entretien chez {company} et demander à la fin le calendrier du recrutement",
        7: "envoyer à {who} un message de remerciement pour l'entretien ({role})",
        9: "relancer {who} par e-mail ({role})",
        10: "envoyer à {who} un aimable rappel par e-mail ({role})",
        "phone": "appeler {who} au {phone} ({role}), les e-mails étant restés sans réponse",
        "other_contact": "écrire à {other} ({role}), puisque {who} n'a pas répondu",
        "email": "écrire une dernière fois à {who} ({role}), et ajouter un autre contact ou un numéro de "
        "téléphone pour multiplier les pistes",
        "bounced_phone": "appeler {who} au {phone} ({role}), votre e-mail n'ayant pas pu être distribué",
        "bounced_other_contact": "écrire à {other} ({role}), votre e-mail à {who} n'ayant pas pu être distribué",
        "linkedin": "écrire à {who} sur LinkedIn ({role}), votre e-mail n'ayant pas pu être distribué, "
        "ou ajouter un autre contact",
        12: "envoyer à {who} un dernier message courtois ({role}), puis passer à autre chose",
        8: "Réponse de {company} le {when}, mais le statut indique toujours {status}\u202f: mettez-le à jour "
        "(Next round, Offer, Rejected…) pour que followsync connaisse la suite.",
        13: "Aucune réponse après {n} relances\u202f: passez cette candidature en Closed et consacrez votre "
        "énergie à d'autres pistes.",
        "overdue": "En retard depuis le {day}", "today": "À faire aujourd'hui", "due": "À faire le {day}",
    },
    "es": {
        "company": "la empresa", "who": "la persona que le entrevistó",
        "role": "el puesto de {job} en {company}", "application": "su candidatura en {company}",
        "sentence": "{urgency}: {what}.",
        "fix": "Corrija lo que indica la columna «Problems» para que followsync pueda determinar el siguiente paso.",
        3: "responder por correo al rechazo de {company}: dar las gracias, pedir comentarios y una recomendación",
        6: "preparar la entrevista en {company} y preguntar al final por los plazos del proceso",
        7: "enviar a {who} una nota de agradecimiento por la entrevista ({role})",
        9: "escribir a {who} para interesarse por el proceso ({role})",
        10: "enviar a {who} un recordatorio cordial por correo ({role})",
        "phone": "llamar a {who} al {phone} ({role}), ya que los correos no han tenido respuesta",
        "other_contact": "escribir a {other} ({role}), ya que {who} no ha respondido",
        "email": "escribir una vez más a {who} ({role}); añada otro contacto o un número de teléfono para "
        "tener más opciones",
        "bounced_phone": "llamar a {who} al {phone} ({role}), ya que su correo no se pudo entregar",
        "bounced_other_contact": "escribir a {other} ({role}), ya que su correo a {who} no se pudo entregar",
        "linkedin": "escribir a {who} por LinkedIn ({role}), ya que su correo no se pudo entregar; o añada otro contacto",
        12: "enviar a {who} una última nota cordial ({role}) y pasar página",
        8: "Respuesta de {company} el {when}, pero el estado sigue siendo {status}: actualícelo "
        "(Next round, Offer, Rejected...) para que followsync sepa qué viene después.",
        13: "Sin respuesta tras {n} seguimientos: marque esta candidatura como Closed y dedique su energía "
        "a otras oportunidades.",
        "overdue": "Vencido desde el {day}", "today": "Vence hoy", "due": "Vence el {day}",
    },
}  # fmt: skip


_FRENCH_PUNCT = re.compile(r"(?<=[\w»)\]'’…])[ \u00a0\u202f]?([?!;])")
_FRENCH_COLON = re.compile(r"(?<=[^\W\d_]|[»)\]])[ \u00a0\u202f]?:(?=\s|$)", re.M)


_FRENCH_ELISION = re.compile(r"\b([dD])e ([AEIOUYÉÈÊÂÎÔaeiouyéèêâîô])")


def french_spacing(text: str) -> str:
    """French typography: 'de' elided before a vowel ('le poste d'Operations Coordinator'), and a
    narrow no-break space before ? ! ; and before a colon that ends a word (not in 10:00)."""
    if not text:
        return text
    text = _FRENCH_ELISION.sub("\\1'\\2", text)
    text = _FRENCH_PUNCT.sub("\u202f\\1", text)
    return _FRENCH_COLON.sub("\u202f:", text)


# Words a shortened part must not end on, per language (English: wording._DANGLING).
DANGLING = {
    "de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und", "oder",
           "aber", "mit", "von", "für", "zu", "zur", "zum", "im", "in", "an", "am", "auf", "bei", "aus", "nach",
           "über", "um", "wie", "sowie", "ihre", "ihr", "ihren", "meine", "mein", "meinen", "dass", "als"},
    "fr": {"le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "et", "ou", "mais", "à", "au", "aux",
           "en", "pour", "par", "sur", "avec", "dans", "sans", "que", "qui", "dont", "son", "sa", "ses", "votre",
           "vos", "mon", "ma", "mes", "notre", "nos", "leur", "leurs", "comme", "entre"},
    "es": {"el", "la", "los", "las", "un", "una", "unos", "unas", "y", "e", "o", "u", "pero", "de", "del", "a",
           "al", "en", "con", "por", "para", "sobre", "entre", "que", "su", "sus", "mi", "mis", "como", "sin"},
}  # fmt: skip


def urgency_phrase(days: int, due: dt.date, language: str = ENGLISH) -> str:
    """'Overdue since Fri 20 Nov', 'Due today', 'Fällig am Di., 3. Nov.': ``days`` from today to
    ``due``. The words name the due date, never a count of days, so a row's Reminder reads the
    same from one day to the next and changes only with its urgency (today, overdue), its due
    date or its action (issue 19: a quiet day writes nothing). Only the terminal digest and the
    mail, which are not stored, count the days."""
    r = REMINDERS[language]
    if days < 0:
        return r["overdue"].format(day=short_date(due, language))
    if days == 0:
        return r["today"]
    return r["due"].format(day=short_date(due, language))


# ----------------------------------------------------------------------------------------
# Expected response by, in German, French and Spanish ("nächste Woche", "dans 10 jours")

_PHRASES = {
    "next_week": (
        "nächste woche", "nächster woche", "ende nächster woche", "ende der nächsten woche", "kommende woche",
        "semaine prochaine", "fin de semaine prochaine", "fin de la semaine prochaine",
        "próxima semana", "semana que viene", "finales de próxima semana", "final de próxima semana",
        "finales de la próxima semana", "final de la próxima semana",
    ),
    "this_week": (
        "diese woche", "ende der woche", "ende dieser woche", "cette semaine", "fin de semaine",
        "fin de la semaine", "fin de cette semaine", "esta semana", "finales de semana", "finales de esta semana",
    ),
    "end_of_month": (
        "ende des monats", "monatsende", "ende dieses monats", "fin du mois", "fin de mois", "fin de ce mois",
        "finales de mes", "final de mes", "fin de mes", "finales de este mes", "final del mes", "finales del mes",
    ),
    "tomorrow": ("morgen", "demain", "mañana"),
}  # fmt: skip
_PHRASE_KINDS = {p: kind for kind, phrases in _PHRASES.items() for p in phrases}
_FOREIGN_WEEKDAYS = {
    name: i
    for i, names in enumerate([
        ("montag", "lundi", "lunes"), ("dienstag", "mardi", "martes"), ("mittwoch", "mercredi", "miércoles"),
        ("donnerstag", "jeudi", "jueves"), ("freitag", "vendredi", "viernes"), ("samstag", "samedi", "sábado"),
        ("sonntag", "dimanche", "domingo"),
    ])
    for name in names
}  # fmt: skip
_FOREIGN_NUMBERS = {
    "einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "zehn": 10, "vierzehn": 14, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "huit": 8,
    "dix": 10, "quinze": 15, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "ocho": 8,
    "diez": 10, "quince": 15,
}  # fmt: skip
_LEADING = re.compile(
    r"^(?:bis(?:\s+zum|\s+spätestens)?|spätestens|d'ici(?:\s+à)?|avant|pour|para|hasta|antes\s+del?|"
    r"a|à|el|la|le|am|zum|del|vers|gegen|au\s+plus\s+tard|como\s+muy\s+tarde)\s+"
)
_IN_N_FOREIGN = re.compile(
    r"(?:in|innerhalb\s+von|binnen|nach|dans|sous|en|dentro\s+de)\s+(\d+|\w+)\s+"
    r"(tagen?|wochen?|jours?|semaines?|días?|dias|semanas?)$"
)


def foreign_phrase(text: str) -> tuple[str, int] | None:
    """An Expected response by phrase in German, French or Spanish as (kind, n), the kinds of
    ``cells.Phrase``: 'nächste Woche' -> ('next_week', 0), 'dans 10 jours' -> ('days', 10),
    'bis Freitag' -> ('weekday', 4); None when it is none of them."""
    s = " ".join(re.sub(r"[^\w' ]+", " ", text.lower().replace("’", "'")).split())
    for _ in range(3):  # "bis zum", "d'ici la", "a finales de": articles and prepositions in front
        s = _LEADING.sub("", s)
    kind = _PHRASE_KINDS.get(s)
    if kind == "tomorrow":
        return ("days", 1)
    if kind:
        return (kind, 0)
    if m := _IN_N_FOREIGN.match(s):
        n = int(m[1]) if m[1].isdigit() else _FOREIGN_NUMBERS.get(m[1])
        if n is not None:
            return ("days", n * (7 if m[2].startswith(("woche", "semaine", "semana")) else 1))
    day = _FOREIGN_WEEKDAYS.get(s.removeprefix("nächsten ").removeprefix("prochain ").removesuffix(" prochain"))
    return ("weekday", day) if day is not None else None
