"""Lint's phrase lists for German, French and Spanish drafts (RULES.md section 6, per language).

English keeps its own, tuned lists in ``lint``; a draft in another language is held to these
as well as to the English ones (an English phrase left in a German draft is still caught).
Each list is matched case-insensitively on whole words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LintWords:
    """One language's lint phrases."""

    signoff: str  # the shipped set's closing line, for the finding's advice
    closings: re.Pattern[str]  # a line that is a closing
    generic: re.Pattern[str]  # a salutation that names nobody
    call_to_action: re.Pattern[str]  # a request for an update, feedback, the next steps
    pushy: tuple[tuple[re.Pattern[str], str], ...]  # (phrase, the better thing to write)


def _line(*closings: str) -> re.Pattern[str]:
    return re.compile(r"^\s*(?:" + "|".join(closings) + r")\s*[,.!]?\s*$", re.I | re.M)


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'’])(?:" + "|".join(phrases) + r")(?![\w'’])", re.I)


def _pushy(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((_words(p), fix) for p, fix in pairs)


LINT_WORDS = {
    "de": LintWords(
        "Mit freundlichen Grüßen",
        _line(r"mit\s+freundlichen\s+grüßen", r"mit\s+besten\s+grüßen", r"freundliche\s+grüße",
              r"beste\s+grüße", r"viele\s+grüße", r"herzliche\s+grüße", r"mit\s+herzlichen\s+grüßen",
              r"hochachtungsvoll", r"mit\s+freundlichem\s+gruß", r"vielen\s+dank"),
        _words(r"sehr\s+geehrte\s+damen\s+und\s+herren", r"(?:liebes|hallo)\s+team",
               r"sehr\s+geehrtes\s+recruiting-team", r"guten\s+tag,?\s+zusammen"),
        _words(r"rückmeldung", r"nächsten?\s+schritte?", r"zeitplan", r"stand", r"empfehlung",
               r"weitere\s+informationen", r"mitteilen", r"lassen\s+sie\s+(?:es\s+)?mich\s+(?:gern\s+)?wissen",
               r"feedback", r"wie\s+es\s+weitergeht"),
        _pushy(
            (r"nur\s+mal\s+nachfragen", "fragen Sie nach dem Stand des Verfahrens"),
            (r"dringend", "bitten Sie höflich um eine Rückmeldung zum Zeitplan"),
            (r"so\s+schnell\s+wie\s+möglich|schnellstmöglich|asap", "fragen Sie, wann eine Entscheidung ansteht"),
            (r"warum\s+haben\s+sie\s+(?:noch\s+)?nicht", "bitten Sie höflich um eine Rückmeldung"),
            (r"(?:ich\s+)?warte\s+(?:immer\s+)?noch", "fragen Sie nach dem Stand des Verfahrens"),
            (r"ich\s+brauche\s+(?:diesen|den)\s+job", "sagen Sie, warum Sie gut passen"),
            (r"verzweifelt", "bekräftigen Sie Ihr Interesse und Ihre Eignung"),
            (r"(?:antworten|melden)\s+sie\s+sich\s+sofort|umgehend", "fragen Sie, wann eine Entscheidung ansteht"),
            (r"letzte\s+chance", "bedanken Sie sich und bitten Sie um Feedback"),
            (r"schon\s+wieder\s+keine\s+antwort|gibt\s+es\s+was\s+neues\s*\?", "fragen Sie nach dem Stand und den nächsten Schritten"),
        ),
    ),
    "fr": LintWords(
        "Bien cordialement,",
        _line(r"bien\s+cordialement", r"cordialement", r"bien\s+à\s+vous", r"sincères\s+salutations",
              r"salutations\s+distinguées", r"très\s+cordialement", r"avec\s+mes\s+remerciements",
              r"je\s+vous\s+prie\s+d'agréer.*", r"merci\s+(?:encore|beaucoup)?"),
        _words(r"madame,?\s+monsieur", r"à\s+qui\s+de\s+droit", r"bonjour\s+à\s+tous",
               r"(?:madame|monsieur)\s+la\s+(?:recruteuse|responsable)|(?:chère|cher)\s+équipe"),
        _words(r"retour", r"prochaines?\s+étapes?", r"calendrier", r"où\s+en\s+est", r"des\s+nouvelles",
               r"recommandation", r"information(?:s)?\s+complémentaires?", r"me\s+faire\s+savoir",
               r"m'indiquer", r"à\s+votre\s+disposition"),
        _pushy(
            (r"je\s+me\s+permets\s+de\s+vous\s+relancer\s+encore", "demandez simplement où en est votre candidature"),
            (r"urgent(?:e|ement)?", "demandez poliment le calendrier du recrutement"),
            (r"dès\s+que\s+possible|au\s+plus\s+vite|asap", "demandez quand une décision est prévue"),
            (r"pourquoi\s+(?:ne\s+)?(?:m'avez|avez)-vous\s+pas", "demandez poliment des nouvelles"),
            (r"toujours\s+pas\s+de\s+(?:nouvelles|réponse)|j'attends\s+toujours", "demandez où en est votre candidature"),
            (r"j'ai\s+(?:vraiment\s+)?besoin\s+de\s+ce\s+(?:poste|travail|job)", "dites pourquoi votre profil convient"),
            (r"désespéré(?:e)?", "réaffirmez votre intérêt et votre adéquation au poste"),
            (r"répondez(?:-moi)?\s+immédiatement|immédiatement", "demandez quand une décision est prévue"),
            (r"dernière\s+chance", "remerciez et demandez un retour"),
            (r"des\s+nouvelles\s*\?", "demandez où en est votre candidature et quelles sont les prochaines étapes"),
        ),
    ),
    "es": LintWords(
        "Un cordial saludo,",
        _line(r"un\s+cordial\s+saludo", r"saludos\s+cordiales", r"atentamente", r"un\s+saludo",
              r"reciba\s+un\s+cordial\s+saludo", r"muchas\s+gracias", r"gracias\s+de\s+nuevo",
              r"le\s+saluda\s+atentamente"),
        _words(r"estimados\s+señores", r"a\s+quien\s+corresponda", r"estimado\s+equipo(?:\s+de\s+selección)?",
               r"muy\s+señores\s+míos", r"hola\s+a\s+todos"),
        _words(r"novedades", r"próximos?\s+pasos?", r"plazos?", r"estado\s+de\s+mi\s+candidatura", r"comentarios",
               r"información\s+adicional", r"recomend\w*", r"informarme", r"indicarme", r"a\s+su\s+disposición"),
        _pushy(
            (r"urgente(?:mente)?", "pregunte con cortesía por los plazos"),
            (r"lo\s+antes\s+posible|cuanto\s+antes|asap", "pregunte cuándo prevén decidir"),
            (r"por\s+qué\s+no\s+(?:me\s+)?ha(?:n)?", "pida con cortesía una actualización"),
            (r"sigo\s+esperando|todavía\s+espero", "pregunte por el estado de su candidatura"),
            (r"necesito\s+(?:este|el)\s+(?:trabajo|puesto|empleo)", "explique por qué encaja en el puesto"),
            (r"desesperad[oa]", "reafirme su interés y su encaje en el puesto"),
            (r"(?:responda|conteste)\s+(?:inmediatamente|ya)|inmediatamente", "pregunte cuándo prevén decidir"),
            (r"última\s+oportunidad", "dé las gracias y pida comentarios"),
            (r"¿\s*alguna\s+novedad\s*\?", "pregunte por el estado de su candidatura y los próximos pasos"),
        ),
    ),
}  # fmt: skip


def closing_line(signoff: str) -> re.Pattern[str]:
    """The line a custom template set declares as its sign-off (``signoff`` in followsync.toml)."""
    words = r"\s+".join(re.escape(w) for w in signoff.strip().rstrip(",.!").split())
    return _line(words)
