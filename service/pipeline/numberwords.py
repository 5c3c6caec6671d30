"""Numbers written as words ("three", "vingt-neuf", "neunundzwanzig"), read as figures by
dedup's slots: wire style writes one to nine as words, so most early tolls are words, and a
toll update sent under a new id ("one dead" -> "the toll rose to four") was a near copy of
the first report while the same update in digits was published. text2num (`alpha2digit`,
Rust, no data files) converts them, in the languages below only.

`THRESHOLDS`: the smallest number converted when it stands alone (a group, "twenty-one",
"one hundred", is always converted). English reads "one" (its article is "a"; "one of the"
is then a figure both copies of a text hold alike). French, Spanish, German and Dutch start
at two: their "one" is the indefinite article ("un", "una", "ein", "een"), and read as a
figure every article would be one. Left out: Portuguese and Italian, where text2num reads
"segundo" / "secondo" ("according to", in most reports) as the ordinal "2º", and Danish,
where it reads "anden" / "andet" ("other") as "2.".

`WORDS`: the words text2num converts alone at that threshold, among wordfreq's 200,000
commonest of each language (`tests/pipeline/test_dedup_number_words.py` checks them): a text whose
lead holds none of them is not given to text2num (~80 ns a character), and a number written
as a rarer compound there ("dreihundertvierundsechzig") alone stays a word.
"""

from __future__ import annotations

from text_to_num import alpha2digit

THRESHOLDS = {"en": 1, "fr": 2, "es": 2, "de": 2, "nl": 2}

_WORDS = {
    "en": (
        "billion billions billionth eight eighteen eighteenth eighth eighths eightieth eights "
        "eighty eleven elevens eleventh fifteen fifteenth fifth fifths fiftieth fifty first "
        "firsts five fives fortieth forty four fours fourteen fourteenth fourth fourths fourty "
        "hundred hundreds hundredth hundredths million millions millionth millionths nine nines "
        "nineteen nineteenth ninetieth ninety ninth one ones second seven sevens seventeen "
        "seventeenth seventh sevenths seventieth seventy six sixteen sixteenth sixteenths sixth "
        "sixths sixty ten tens tenth tenths third thirds thirteen thirteenth thirtieth thirty "
        "thousand thousands thousandth thousandths three threes twelfth twelve twelves twentieth "
        "twenty two twos "
    ),
    "fr": (
        "cent centième centièmes cents cinq cinqs cinquante cinquantes cinquantième cinquième "
        "cinquièmes deux deuxième deuxièmes dix dixième dixièmes douze douzes douzième douzièmes "
        "huit huitante huitième huitièmes huits mil mille milles milliard milliardième milliards "
        "million millionième millions millième millièmes mils neuf neufs neuvième neuvièmes "
        "nonante octante onze onzième onzièmes quarante quarantième quarantièmes quatorze "
        "quatorzième quatre quatres quatrième quatrièmes quinze quinzième seize seizième "
        "seizièmes sept septante septième septièmes septs six sixième sixièmes soixante "
        "soixantième treize treizième trente trentes trentième trois troisième troisièmes vingt "
        "vingtième vingtièmes vingts "
    ),
    "es": (
        "catorce centavo centavos centésima centésimas centésimo centésimos cien cienes ciento "
        "cientos cinco cincos cincuenta cincuentas cuadragésima cuadragésimo cuarenta cuarentas "
        "cuarta cuartas cuarto cuartos cuatro cuatrocientas cuatrocientos cuatros decimoctava "
        "decimoctavo decimocuarta decimocuarto decimonovena decimonoveno decimoprimera "
        "decimoprimero decimoquinta decimoquinto decimosegunda decimosegundo decimosexta "
        "decimosexto decimoséptima decimoséptimo decimotercera decimotercero diecinueve dieciocho "
        "dieciseis diecisiete dieciséis diez doce doceavo dos doscientas doscientos doses "
        "duodécima duodécimo décima décimas décimo décimos mil miles millon millones millonésima "
        "millonésimas millón millónes milésima milésimas milésimo nonagésimo novecientas "
        "novecientos novena novenas noveno novenos noventa noventas nueve ochenta ochentas ocho "
        "ochocientas ochocientos ochos octava octavas octavo octavos octogésimo once onceavo "
        "quince quincuagésima quincuagésimo quinientas quinientos quinta quintas quinto quintos "
        "segunda segundas seis seiscientas seiscientos seises septuagésima septuagésimo sesenta "
        "sesentas setecientas setecientos setenta setentas sexagésima sexagésimo sexta sextas "
        "sexto sextos siete séptima séptimas séptimo séptimos tercer tercera terceras tercero "
        "terceros trece treceavo treinta treintas tres trescientas trescientos trigésima "
        "trigésimo undécima undécimo veinte veinticinco veinticuatro veintidós veintinueve "
        "veintiocho veintiseis veintisiete veintiséis veintitrés veintiuna veintiuno vigésima "
        "vigésimo "
    ),
    "de": (
        "acht achte achten achter achtes achthundert achttausend achtundvierzig achtundzwanzig "
        "achtzehn achtzehnte achtzehnten achtzig achtzigsten billion drei dreihundert dreissig "
        "dreissigsten dreitausend dreiunddreissig dreiunddreißig dreiundvierzig dreiundzwanzig "
        "dreizehn dreizehnte dreizehnten dreizehnter dreißig dreißigsten dritte drittem dritten "
        "dritter drittes einhundert einhundertfünfzig eintausend einunddreissig einunddreißig "
        "einundzwanzig elf elfte elften elfter elftes fünf fünfhundert fünftausend fünfte fünftem "
        "fünften fünfter fünftes fünfunddreissig fünfunddreißig fünfundsiebzig fünfundvierzig "
        "fünfundzwanzig fünfzehn fünfzehnte fünfzehnten fünfzig fünfzigsten fünfzigtausend "
        "hundert hundertfünfzig hundertste hundertsten hunderttausend milliarde milliarden "
        "million millionen millionste millionsten neun neunhundert neunte neunten neunter neuntes "
        "neunundneunzig neunundzwanzig neunzehn neunzehnte neunzehnten neunzig sechs sechshundert "
        "sechstausend sechste sechsten sechster sechstes sechsunddreissig sechsunddreißig "
        "sechsundzwanzig sechzehn sechzehnte sechzehnten sechzig sechzigsten sieben siebenhundert "
        "siebentausend siebenundzwanzig siebte siebten siebter siebtes siebzehn siebzehnte "
        "siebzehnten siebzig siebzigsten tausend tausendste tausendsten vier vierhundert "
        "viertausend vierte viertem vierten vierter viertes vierundzwanzig vierzehn vierzehnte "
        "vierzehnten vierzehnter vierzig vierzigsten zehn zehntausend zehnte zehnten zehnter "
        "zehntes zwanzig zwanzigste zwanzigsten zwanzigtausend zwei zweihundert zweitausend "
        "zweite zweitem zweiten zweiter zweites zweiunddreissig zweiunddreißig zweiundvierzig "
        "zweiundzwanzig zwo zwölf zwölfte zwölften zwölfter zwölftes "
    ),
    "nl": (
        "acht achtduizend achtendertig achtennegentig achtentachtig achtentwintig "
        "achtentwintigste achtenveertig achtenvijftig achtenzestig achtenzeventig achthonderd "
        "achthonderdduizend achtste achttien achttiende achttienduizend achttienhonderd biljoen "
        "derde dertien dertiende dertienduizend dertienhonderd dertig dertigduizend dertigste "
        "drie drieduizend driehonderd driehonderdduizend driehonderdvijftig drieëndertig "
        "drieënnegentig drieëntwintig drieëntwintigste drieënveertig drieënvijftig drieënzestig "
        "drieënzeventig duizend duizendste eenendertig eenendertigste eenentachtig eenentwintig "
        "eenentwintigste eenenveertig eenenvijftig eenenzestig eenenzeventig elf elfde elfduizend "
        "elfhonderd honderd honderddertig honderdduizend honderdste honderdtachtig honderdtien "
        "honderdtwintig honderdveertig honderdvijfentwintig honderdvijftig honderdzestig miljard "
        "miljardste miljoen miljoenste negen negende negenduizend negenendertig negenennegentig "
        "negenentwintig negenentwintigste negenenveertig negenenvijftig negenenzestig "
        "negenhonderd negentien negentiende negentienhonderd negentig negentigduizend negentigste "
        "tachtig tachtigduizend tachtigste tien tiende tienduizend tienduizendste twaalf twaalfde "
        "twaalfduizend twaalfhonderd twee tweede tweeduizend tweehonderd tweehonderdduizend "
        "tweehonderdste tweehonderdvijftig tweeëndertig tweeëndertigste tweeënnegentig "
        "tweeëntachtig tweeëntwintig tweeëntwintigste tweeënveertig tweeënvijftig tweeënzestig "
        "tweeënzeventig twintig twintigduizend twintigste veertien veertiende veertienduizend "
        "veertienhonderd veertig veertigduizend veertigste vier vierde vierduizend vierendertig "
        "vierennegentig vierentachtig vierentwintig vierentwintigste vierenveertig vierenvijftig "
        "vierenzestig vierenzeventig vierhonderd vierhonderdduizend vijf vijfde vijfduizend "
        "vijfendertig vijfendertigste vijfennegentig vijfentachtig vijfentwintig "
        "vijfentwintigduizend vijfentwintigste vijfenveertig vijfenvijftig vijfenzestig "
        "vijfenzestigste vijfenzeventig vijfhonderd vijfhonderdduizend vijfhonderdste vijftien "
        "vijftiende vijftienduizend vijftienhonderd vijftig vijftigduizend vijftigste zes zesde "
        "zesduizend zesendertig zesendertigste zesennegentig zesentachtig zesentwintig "
        "zesentwintigste zesenveertig zesenvijftig zesenzestig zesenzeventig zeshonderd "
        "zeshonderdduizend zestien zestiende zestienduizend zestienhonderd zestig zestigduizend "
        "zestigste zeven zevende zevenduizend zevenendertig zevenentachtig zevenentwintig "
        "zevenentwintigste zevenenveertig zevenenvijftig zevenenzeventig zevenhonderd zeventien "
        "zeventiende zeventienduizend zeventig zeventigduizend zeventigste "
    ),
}
WORDS = {language: frozenset(words.split()) for language, words in _WORDS.items()}


def with_digits(text: str, words: list[str], language: str) -> str | None:
    """The text with its numbers written as words in digits, given its words lower-cased;
    None when its language is not read or its words hold no number word."""
    known = WORDS.get(language)
    if known is None or known.isdisjoint(words):
        return None
    return str(alpha2digit(text, language, threshold=THRESHOLDS[language]))
