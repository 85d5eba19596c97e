"""Phrase rules: what a reply reads like (pure).

One strong phrase, or two weak ones, on the reply's own text (quoted text stripped) and its
subject make a label: ``rejection``, ``invitation`` or ``offer``; otherwise ``other``. Each
language's phrases sit side by side (English, German, French); they are regular expressions on
the case-folded text with whitespace collapsed. A label carries the phrase that matched and the
Status to suggest; mail only ever suggests a Status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Status to suggest per label (a value of schema.STATUSES; None: the person decides).
STATUS_FOR = {"rejection": "Rejected", "invitation": "Next round", "offer": "Offer", "other": None}
LABEL_WORDS = {
    "rejection": "reads like a rejection",
    "invitation": "reads like an interview invitation",
    "offer": "reads like an offer",
    "other": "update Status",
}

# --------------------------------------------------------------------------------------
# Phrase rules: (label, strong phrases, weak phrases), regular expressions on lower-case text.

PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rejection": (
        (
            r"decided not to (move|proceed|go) forward",
            r"(will|won't|will not|are not|aren't) (be )?(moving|going) forward with your application",
            r"decided to (move|go) forward with (other|another) candidates?",
            r"decided to pursue other candidates",
            r"not (to )?(be )?(proceed|proceeding|moving forward) with your (application|candidacy)",
            r"(position|role) has (now )?been filled",
            r"we (have|'ve) decided to (offer|extend) the (position|role) to (another|someone else)",
            r"unfortunately,? (we|you) (will|were|are|have|did) not",
            r"regret to inform you",
            r"not been (successful|selected)",
            r"leider (müssen|mussten) wir ihnen mitteilen",
            r"(für|fuer) (eine[nr]?|andere) (andere[nr]? )?(kandidat|bewerber)",
            r"ihre bewerbung (leider )?nicht (weiter )?berücksichtigen",
            r"\babsage\b",
            r"nous (avons le )?regret(tons)? de vous informer",
            r"ne pas donner suite",
            r"(n'a|n'avez) pas été retenue?",
            r"pas (été )?retenue? pour (ce|le) poste",
        ),
        (
            r"\bunfortunately\b",
            r"other candidates",
            r"not a (good )?fit",
            r"(wish|best of luck|good luck) (you )?(the best |success )?(in|with) your (job )?search",
            r"keep your (cv|resume|résumé|details) on file",
            r"\bleider\b",
            r"viel erfolg (bei|für) ihre(r)? (weiteren )?(suche|zukunft|beruflichen)",
            r"\bmalheureusement\b",
            r"bonne continuation",
            r"d'autres candidat",
        ),
    ),
    "invitation": (
        (
            r"(invite|inviting) you (to|for) (an?|the|our) (next |second |final |technical |on-?site )?(interview|call|conversation|round|chat)",
            r"(schedule|book|set up|arrange) (an?|the|your) (next |second |final |follow-up )?(interview|call|conversation)",
            r"(second|next|final) (round|interview|stage)",
            r"move (you )?(forward|on) to the next (round|stage|step)",
            r"(einladen|einladung) (zu|zum|zur) (einem |einer )?((zweiten|nächsten) )?(vorstellungs)?gespräch",
            r"\bvorstellungsgespräch\b",
            r"zweite(n)? (runde|gespräch)",
            r"vous (inviter|convier) (à|a) (un|une) (entretien|rencontre)",
            r"(second|prochain) entretien",
        ),
        (
            r"\bavailability\b",
            r"\bavailable\b",
            r"calendly",
            r"time slots?",
            r"\bnext steps?\b",
            r"\btermin(vorschläge|e)?\b",
            r"\bdisponibilités?\b",
            r"\bcréneau",
            r"\bentretien\b",
            r"\binterview\b",
        ),
    ),
    "offer": (
        (
            r"(pleased|happy|delighted|excited) to (extend |make )?(you )?(an |a formal )?offer",
            r"offer (you )?the (position|role|job)",
            r"\b(job|employment|formal|written) offer\b",
            r"offer letter",
            r"(freuen|freut) (uns|sich),? ihnen (ein|das|unser) (vertrags)?angebot",
            r"\bvertragsangebot\b",
            r"\barbeitsvertrag\b",
            r"(ravis|heureux|heureuse|plaisir) de vous (proposer|offrir) le poste",
            r"proposition d'embauche",
            r"promesse d'embauche",
        ),
        (
            r"\boffer\b",
            r"\bsalary\b",
            r"\bcompensation\b",
            r"start(ing)? date",
            r"\bgehalt\b",
            r"\beintrittsdatum\b",
            r"\bsalaire\b",
            r"date de début",
        ),
    ),
}
_COMPILED = {k: ([re.compile(p) for p in s], [re.compile(p) for p in w]) for k, (s, w) in PHRASES.items()}
_PRIORITY = ("rejection", "offer", "invitation")


@dataclass(frozen=True)
class Label:
    """What a reply reads like. ``phrase`` is the text that matched (two weak ones joined by
    " + "), blank for ``other``; ``status`` the Status to suggest, None for ``other``."""

    kind: str
    phrase: str
    status: str | None

    @property
    def words(self) -> str:
        return LABEL_WORDS[self.kind]


def label(subject: str, body: str) -> Label:
    """The label for a reply's subject and own (quote-stripped) text."""
    text = " ".join(f"{subject}\n{body}".casefold().split())
    best: tuple[int, int, str, str] | None = None  # (score, -priority, kind, phrase)
    for kind in _PRIORITY:
        strong, weak = _COMPILED[kind]
        found_strong = [m.group(0) for rx in strong if (m := rx.search(text))]
        found_weak = [m.group(0) for rx in weak if (m := rx.search(text))]
        if found_strong:
            score, phrase = 2 + len(found_strong), found_strong[0]
        elif len(found_weak) >= 2:
            score, phrase = 2, " + ".join(found_weak[:2])
        else:
            continue
        key = (score, -_PRIORITY.index(kind), kind, phrase)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return Label("other", "", None)
    return Label(best[2], best[3], STATUS_FOR[best[2]])
