"""Dedup reads numbers written as words as figures in its slots (fourteenth-session review): a
toll update sent under a new id without a uri, its toll in words ("one dead" -> "the toll rose
to four"), was hidden as a near copy of the first report, where the same update in digits was
published. Every text is invented."""

from __future__ import annotations

from typing import Any

import pytest
from text_to_num import alpha2digit

from service.pipeline.decide import Shards, label_records
from service.pipeline.numberwords import THRESHOLDS, WORDS, with_digits


def _kinds(*records: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    outputs = label_records(list(records), Shards.in_memory())
    return [(output["kind"], output["duplicate_of"]) for output in outputs]


_CRASH = (
    "A minibus carrying farm workers collided with a fuel tanker on the highway near Kisumu in "
    "western Kenya on Sunday, killing {killed} and injuring {injured}, police said.\n\n"
    "The minibus was travelling to a tea estate in Kericho when the tanker crossed into its "
    "lane, regional police commander John Otieno told reporters at the scene.\n\n"
    "Road accidents kill about 4,000 people a year in Kenya, according to the National "
    "Transport and Safety Authority."
)
_UPDATE = "\n\nThe toll rose to {killed} after {died} of the injured died in hospital in Kisumu."

# (language, text with {killed} and {injured}, first toll, raised toll): each a toll of two
# figures in their places, as wire style writes them (words up to nine).
TOLLS = {
    "en": ("en", _CRASH, ("one", "three"), ("four", "twenty-nine")),
    "fr": (
        "fr",
        "Un minibus transportant des ouvriers agricoles a percuté un camion-citerne sur "
        "l'autoroute près de Kisumu, dans l'ouest du Kenya, dimanche, faisant {killed} morts "
        "et {injured} blessés, selon la police.\n\nLe minibus se rendait dans une plantation de "
        "thé à Kericho quand le camion a franchi la ligne, a déclaré le commandant régional de "
        "la police John Otieno aux journalistes sur place.\n\nLes accidents de la route font "
        "environ 4 000 morts par an au Kenya, selon l'Autorité nationale des transports.",
        ("deux", "trois"),
        ("quatre", "vingt-neuf"),
    ),
    "de": (
        "de",
        "Beim Zusammenstoß eines Kleinbusses mit einem Tanklaster bei Kisumu im Westen Kenias "
        "hat die Polizei am Sonntag {killed} Tote und {injured} Verletzte gezählt.\n\nDer "
        "Kleinbus mit Landarbeitern war auf dem Weg nach Kericho, als der Laster auf seine Spur "
        "geriet, sagte der regionale Polizeikommandeur John Otieno am Unfallort.",
        ("zwei", "drei"),
        ("vier", "neunundzwanzig"),
    ),
    "es": (
        "es",
        "Un minibús que transportaba a trabajadores agrícolas chocó con un camión cisterna en "
        "la carretera cerca de Kisumu, en el oeste de Kenia, el domingo, y dejó {killed} muertos "
        "y {injured} heridos, según la policía.\n\nEl minibús se dirigía a una plantación de "
        "té en Kericho cuando el camión invadió su carril, dijo a los periodistas el comandante "
        "regional de la policía, John Otieno.\n\nLos accidentes de tráfico matan a unas 4.000 "
        "personas al año en Kenia, según la autoridad nacional de transporte.",
        ("dos", "tres"),
        ("cuatro", "veintinueve"),
    ),
}


@pytest.mark.parametrize("case", sorted(TOLLS))
def test_a_toll_update_in_words_is_published_like_one_in_digits(case: str) -> None:
    # Hidden before as a near copy of the first report (the words were no figures, so the
    # two texts swapped no slot); in digits the same update was already published.
    language, text, first, raised = TOLLS[case]
    reports = [
        {
            "id": f"{case}{n}",
            "title": f"Kenya minibus crash ({n})",
            "text": text.format(killed=killed, injured=injured),
            "language": language,
        }
        for n, (killed, injured) in enumerate((first, raised))
    ]
    assert _kinds(*reports) == [(None, None), (None, None)]


def test_the_raised_toll_is_a_story_of_its_own_and_its_resend_a_copy_of_it() -> None:
    # "one dead" -> "the toll rose to four": the update published in the first report's
    # story; the same update resent with a paragraph added is hidden as a copy of it.
    first = {
        "id": "k1",
        "title": "Kenya minibus crash kills one",
        "text": _CRASH.format(killed="one", injured="three"),
        "language": "en",
    }
    body = _CRASH.format(killed="four", injured="twenty-nine")
    raised = {
        "id": "k2",
        "title": "Kenya minibus crash toll rises to four",
        "text": body + _UPDATE.format(killed="four", died="three"),
        "language": "en",
    }
    resent = dict(raised, id="k3", text=raised["text"] + "\n\nThe driver of the tanker fled.")
    outputs = list(label_records([first, raised, resent], Shards.in_memory()))
    assert [(o["kind"], o["duplicate_of"]) for o in outputs] == [
        (None, None),
        (None, None),
        ("near_copy", "k2"),
    ]
    assert outputs[1]["story"] == outputs[0]["story"]


@pytest.mark.parametrize("case", sorted(TOLLS))
def test_a_resend_with_the_same_number_words_stays_a_copy(case: str) -> None:
    language, text, first, _ = TOLLS[case]
    body = text.format(killed=first[0], injured=first[1])
    report = {"id": "r1", "title": "Kenya minibus crash", "text": body, "language": language}
    assert _kinds(
        report,
        dict(report, id="r2"),
        dict(report, id="r3", text=body + "\n\nJohn Otieno: +254 20 000 0000."),
    ) == [(None, None), ("exact", "r1"), ("near_copy", "r1")]


def test_a_copy_writing_digits_where_the_other_wrote_words_stays_a_copy() -> None:
    # A web republication that normalises style ("3" for "three"): both are read as 3, so
    # they fill the slot alike (before, the word filled no slot, so nothing was swapped
    # either). The words, shingles and fingerprint stay the text's own: a near copy.
    words = _CRASH.format(killed="three", injured="nine")
    digits = _CRASH.format(killed="3", injured="9")
    assert _kinds(
        {"id": "w1", "title": "Kenya minibus crash kills three", "text": words},
        {"id": "w2", "title": "Kenya minibus crash kills 3", "text": digits},
        {"id": "w3", "title": "Kenya minibus crash kills three", "text": words + "\n\nMore."},
    ) == [(None, None), ("near_copy", "w1"), ("near_copy", "w1")]


def test_number_words_are_the_ones_text2num_reads_alone_at_the_threshold() -> None:
    # The prefilter's words (`WORDS`) each convert on their own; the pronoun and article
    # forms below the threshold do not.
    for language, known in WORDS.items():
        threshold = THRESHOLDS[language]
        assert all(alpha2digit(word, language, threshold=threshold) != word for word in known)
    assert "one" in WORDS["en"]
    assert not {"un", "une", "ein", "eine", "uno", "una", "een"} & set().union(*WORDS.values())
    assert with_digits("the toll rose to four", ["the", "toll", "rose", "to", "four"], "en") == (
        "the toll rose to 4"
    )
    assert with_digits("l'un des blessés", ["l", "un", "des", "blessés"], "fr") is None
    # Portuguese and Italian "segundo" / "secondo" ("according to") would be read as "2º".
    assert with_digits("segundo a polícia, dois mortos", ["segundo", "dois"], "pt") is None
