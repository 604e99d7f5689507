"""Which language a customer writes in: English or Spanish, by the words they use.

A message with no telling words ("14:00", "2", "ok") says nothing, and the conversation keeps
the language it had. Each turn keeps the language the customer's words showed on the customer
(`customers.language`, see `app.bot`), so it outlives the conversation: a new conversation, a
reminder or a notice speaks it, the model's instructions name it (`app.agent.prompts`), and the
business's language is spoken only while it is not known.
"""

from __future__ import annotations

import re

from app.flow.dates import fold

EN, ES = "en", "es"
LANGUAGES = (EN, ES)
NAMES = {EN: "English", ES: "Spanish"}  # as the model's instructions name them
_SPANISH = frozenset(
    """hola buenas buenos gracias quiero quisiera querria cita citas reservar reserva reservame
    apuntame manana hoy ayer pasado tarde noche hueco huecos teneis tienes tiene tienen hay
    para por favor cuando cuanto cuesta cuestan precio precios horario abris abren abres cierran
    cerrais cierras cancelar cancela cancelame anular anula cambiar cambia cambiame mover mueve
    muevela moverla retrasar retrasa adelantar adelanta mi mis el la los las una unos unas que
    de del con si vale perfecto genial lunes martes miercoles jueves viernes sabado domingo
    semana hora horas dias puedo podeis puedes pueden nos esta este estos proximo corte pelo
    barba tinte libre libres disponible disponibles y o pero tambien primera primero segunda
    segundo tercera tercero ultima ultimo otra otro despues antes luego medio media minutos
    claro bueno dame ver servicios ofreceis""".split()
)
_ENGLISH = frozenset(
    """i i'm im the you your is are do does can could would what when which where how have has
    got my book booking booked appointment appointments please tomorrow today yesterday free
    time times any for with at on it its and to of in thanks thank hi hello hey cancel move
    works work great yes yeah yep sure that this there next later earlier after before want
    like need morning afternoon evening open close closed hours price prices services first
    second third last one available slot slots push back half an hour minutes put down up
    reschedule change let me get just okay fine good""".split()
)
_WORD = re.compile(r"[a-z']+")


def detect(text: str) -> str | None:
    """ "es" or "en" when the text leans one way, else None."""
    spanish = 2 * sum(text.count(c) for c in "¿¡ñÑ")
    english = 0
    for word in _WORD.findall(fold(text)):
        spanish += word in _SPANISH
        english += word in _ENGLISH
    if spanish > english:
        return ES
    if english > spanish:
        return EN
    return None


def of_customer(business: dict, customer: dict) -> str:
    """The language to speak to the customer in: the one they last wrote in, else the
    business's."""
    return customer.get("language") or of_business(business)


def of_business(business: dict) -> str:
    """The business's language as the flow speaks it ("es" for Spanish, else "en")."""
    return named(business.get("language") or "")


def named(name: str) -> str:
    """A language's name or code as the flow speaks it ("es" for Spanish, else "en"), with a
    region or not ("Spanish", "Español (España)", "es", "es-ES", "es_MX")."""
    first = re.split(r"[^a-z]", fold(name).strip(), maxsplit=1)[0]
    return ES if first in ("es", "spanish", "espanol", "castellano") else EN
