"""The forms of the case page (templates/cases/show.html) and of the administrator's plan template
(templates/cases/plan_template.html), as Flask-WTF classes: the CSRF token, the presence, length and choice of each
field and the dates, with a message that names the field and says what is wrong, in the user's language.

The field names are the ones the pages post (``title``, ``owner_id``, ``due_at``...; ``title-0``, ``anchor-0``... for
the template's rows). The services check the same things again (cases/services.py), since the command line and the
signals call them too: a form only refuses earlier and more precisely, it decides nothing the service would not."""

from __future__ import annotations

import calendar
import re

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Field, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from notifier.cases import services as cases
from notifier.cases.rules import plan as plan_rules
from notifier.cases.rules.plan import PlanInputError
from notifier.cases.states import Direction, Party, TaskStatus, TimelineKind

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]|$)")
_FRENCH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s|$)")


def _lang() -> str:
    return str(get_locale() or "fr")


def _impossible_day(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a typed date whose day or month does not exist (30 February, month 13), else None."""
    iso, french = _ISO.match(text), _FRENCH.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif french:
        day, month, year = (int(part) for part in french.groups())
    else:
        return None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return year, month, day
    return None


class Instant:
    """A date and time typed in the page (Europe/Paris wall clock), read by the same rule as the service
    (breaches/rules/deadlines.parse_local_timestamp): an impossible day, a time skipped by the change to summer time
    or an unreadable text is refused with the field's name."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, form, field):
        text = (field.data or "").strip()
        if not text:
            return
        impossible = _impossible_day(text)
        if impossible is not None:
            year, month, day = impossible
            if 1 <= month <= 12:
                raise ValidationError(_l("%(what)s\u00a0: le %(day)s/%(month)02d/%(year)s n'existe pas (ce mois n'a "
                                         "que %(days)s jours).", what=self.what, day=day, month=month, year=year,
                                         days=calendar.monthrange(year, month)[1]))
            raise ValidationError(_l("%(what)s\u00a0: il n'y a pas de mois %(month)s (de 1 à 12).", what=self.what,
                                     month=month))
        try:
            cases.parse_instant(text)
        except cases.CaseInputError as error:
            raise ValidationError(_l("%(what)s\u00a0: %(problem)s", what=self.what,
                                     problem=error.message(_lang()))) from None


class Offset:
    """An offset from a clock as people type it (-6 h, +24 h, +2 j), read by cases/rules/plan.parse_offset."""

    def __call__(self, form, field):
        try:
            plan_rules.parse_offset(field.data)
        except PlanInputError as error:
            raise ValidationError(error.message(_lang())) from None  # the rule's message names the offset


class FileSize:
    """At most EVIDENCE_MAX_BYTES and not empty, measured by seeking to the end of the uploaded stream (spooled to a
    temporary file by Werkzeug when large): the file is never read into memory to be measured. The service still
    counts while it reads (the command line and a stream that cannot seek)."""

    def __call__(self, form, field):
        stream = getattr(field.data, "stream", None)
        if stream is None or not getattr(stream, "seekable", lambda: False)():
            return
        start = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(start)
        maximum = current_app.config["EVIDENCE_MAX_BYTES"]
        if size > maximum:
            raise StopValidation(cases.too_large(maximum).message(_lang()))
        if size == 0:
            raise StopValidation(cases.empty_file().message(_lang()))


class Choice(SelectField):
    """A list the page writes: a value outside it is refused with the field's own message (not WTForms' English
    "Not a valid choice"). An empty value is left to the field's other validators."""

    def __init__(self, label=None, validators=None, *, invalid: str, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form):
        if self.data and self.data not in {str(choice) for choice in self.choices or ()}:
            raise StopValidation(str(self.invalid))


class Ids(Field):
    """Ids ticked in a list of checkboxes (``evidence_ids``): the page writes them, so anything else is dropped. Which
    ids belong to the breach is the service's check (cases/services._evidence_of)."""

    def process_formdata(self, valuelist):
        self.data = [int(value) for value in valuelist if value.isdigit() and len(value) < 10]

    def _value(self):
        return ""


class OwnerMixin:
    """The owner of a task: empty (nobody yet) or an active user of the breach's organisation. The view gives the ids
    of those (``owners``); anybody else, another organisation's user above all, is refused."""

    owner_id = StringField(_l("Responsable"), validators=[Optional()])

    def __init__(self, *args, owners: set[int] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = owners

    def validate_owner_id(self, field):
        text = (field.data or "").strip()
        if not text:
            return
        if not (text.isdigit() and len(text) < 10 and int(text) in self.owners):
            raise ValidationError(_l("Responsable inconnu\u00a0: choisissez un membre actif de votre organisation."))

    @property
    def owner(self) -> int | None:
        text = (self.owner_id.data or "").strip()
        return int(text) if text else None


def submitted(field) -> bool:
    """Whether the page posted this field at all (an update changes only what was posted)."""
    return bool(field.raw_data)


_ANCHOR_INVALID = _l("Horloge inconnue\u00a0: choisissez une échéance de la liste.")


class TaskForm(OwnerMixin, FlaskForm):
    title = StringField(_l("Intitulé"), validators=[
        DataRequired(_l("Intitulé manquant\u00a0: donnez un titre à la tâche.")),
        Length(max=cases.TITLE_MAX, message=_l("Intitulé trop long\u00a0: %(max)d caractères au plus."))])
    due_at = StringField(_l("Échéance"), validators=[Optional(), Instant(_l("Échéance"))])
    anchor = Choice(_l("ou liée à"), choices=[""] + list(plan_rules.ANCHORS), invalid=_ANCHOR_INVALID)
    offset = StringField(_l("Décalage"), validators=[Optional(), Length(max=20), Offset()])
    notes = TextAreaField(_l("Notes"), validators=[
        Length(max=cases.TEXT_MAX, message=_l("Notes trop longues\u00a0: %(max)d caractères au plus."))])


class TaskUpdateForm(OwnerMixin, FlaskForm):
    status = Choice(_l("Statut"), choices=[""] + [status.value for status in TaskStatus],
                    invalid=_l("Statut inconnu\u00a0: choisissez à faire, en cours, fait ou sans objet."))
    due_at = StringField(_l("Échéance"), validators=[Optional(), Instant(_l("Échéance"))])
    anchor = Choice(_l("ou liée à"), choices=[""] + list(plan_rules.ANCHORS), invalid=_ANCHOR_INVALID)
    offset = StringField(_l("Décalage"), validators=[Optional(), Length(max=20), Offset()])
    notes = TextAreaField(_l("Notes"), validators=[
        Length(max=cases.TEXT_MAX, message=_l("Notes trop longues\u00a0: %(max)d caractères au plus."))])


class EvidenceForm(FlaskForm):
    file = FileField(_l("Fichier"), validators=[FileRequired(_l("Choisissez un fichier à verser au dossier.")),
                                                FileSize()])
    description = StringField(_l("Description"), validators=[
        Length(max=500, message=_l("Description trop longue\u00a0: %(max)d caractères au plus."))])


class DeleteEvidenceForm(FlaskForm):
    reason = StringField(_l("Motif"), validators=[
        DataRequired(_l("Motif manquant\u00a0: dites pourquoi la pièce est supprimée (le motif reste au dossier).")),
        Length(max=500, message=_l("Motif trop long\u00a0: %(max)d caractères au plus."))])


class EventForm(FlaskForm):
    occurred_at = StringField(_l("Date et heure"), validators=[
        DataRequired(_l("Date de l'événement manquante\u00a0: quand cela s'est-il passé\u00a0?")),
        Instant(_l("Date de l'événement"))])
    kind = Choice(_l("Type"), choices=[kind.value for kind in TimelineKind], default=TimelineKind.OTHER.value,
                  invalid=_l("Type d'événement inconnu\u00a0: choisissez-le dans la liste."))
    description = TextAreaField(_l("Ce qui s'est passé"), validators=[
        DataRequired(_l("Description manquante\u00a0: dites ce qui s'est passé.")),
        Length(max=cases.TEXT_MAX, message=_l("Description trop longue\u00a0: %(max)d caractères au plus."))])
    evidence_ids = Ids()


class ExchangeForm(FlaskForm):
    direction = Choice(_l("Sens"), choices=[direction.value for direction in Direction],
                       validators=[DataRequired(_l("Sens manquant\u00a0: reçu ou envoyé\u00a0?"))],
                       invalid=_l("Sens inconnu\u00a0: reçu ou envoyé\u00a0?"))
    party = Choice(_l("Correspondant"), choices=[party.value for party in Party],
                   validators=[DataRequired(_l("Correspondant manquant\u00a0: choisissez-le dans la liste."))],
                   invalid=_l("Correspondant inconnu\u00a0: choisissez-le dans la liste."))
    occurred_at = StringField(_l("Date et heure"), validators=[
        DataRequired(_l("Date de l'échange manquante\u00a0: quand le courrier a-t-il été reçu ou envoyé\u00a0?")),
        Instant(_l("Date de l'échange"))])
    subject = StringField(_l("Objet"), validators=[
        DataRequired(_l("Objet manquant\u00a0: de quoi parle ce courrier\u00a0?")),
        Length(max=cases.TITLE_MAX, message=_l("Objet trop long\u00a0: %(max)d caractères au plus."))])
    reference = StringField(_l("Référence"), validators=[
        Length(max=100, message=_l("Référence trop longue\u00a0: %(max)d caractères au plus."))])
    reply_by = StringField(_l("Réponse attendue au plus tard le"), validators=[
        Optional(), Instant(_l("Date de réponse attendue"))])
    notes = TextAreaField(_l("Notes"), validators=[
        Length(max=cases.TEXT_MAX, message=_l("Notes trop longues\u00a0: %(max)d caractères au plus."))])
    evidence_ids = Ids()

    def validate_reply_by(self, field):
        if field.errors or self.occurred_at.errors or not (field.data or "").strip() \
                or not (self.occurred_at.data or "").strip():
            return
        sent, deadline = cases.parse_instant(self.occurred_at.data), cases.parse_instant(field.data)
        if deadline.instant <= sent.instant:
            raise ValidationError(_l("Date de réponse attendue\u00a0: elle doit suivre la date de l'échange."))


class AnsweredForm(FlaskForm):
    answered_at = StringField(_l("Répondu le"), validators=[Optional(), Instant(_l("Date de la réponse"))])


# --- the administrator's plan template --------------------------------------------------------------------------

class PlanRowForm(Form):
    """One row of the template (posted as ``title-N``, ``anchor-N``... by the page; read through ``row_data``)."""

    title = StringField(_l("Intitulé"), validators=[
        Length(max=300, message=_l("Intitulé trop long\u00a0: %(max)d caractères au plus."))])
    anchor = Choice(_l("Liée à"), choices=[""] + list(plan_rules.ANCHORS), invalid=_ANCHOR_INVALID)
    offset = StringField(_l("Décalage"), validators=[Optional(), Length(max=20), Offset()])
    owner_role = Choice(_l("Rôle"), choices=[""] + list(plan_rules.OWNER_ROLES),
                        invalid=_l("Rôle inconnu\u00a0: dpo ou legal."))
    nis2_only = BooleanField()
    delete = BooleanField()


PLAN_ROWS_MAX = 200


class PlanTemplateForm(FlaskForm):
    rows = HiddenField(validators=[Optional()])
    reset = BooleanField()

    def row_count(self) -> int:
        text = (self.rows.data or "").strip()
        return min(int(text), PLAN_ROWS_MAX) if text.isdigit() and len(text) < 6 else 0

    def row_forms(self, formdata: MultiDict) -> list[PlanRowForm]:
        """One form per posted row, in order (rows ticked "Retirer" included: the caller leaves them out)."""
        rows = []
        for index in range(self.row_count()):
            values = MultiDict({name: formdata.get(f"{name}-{index}") for name in
                                ("title", "anchor", "offset", "owner_role", "nis2_only", "delete")
                                if formdata.get(f"{name}-{index}") is not None})
            rows.append(PlanRowForm(values))
        return rows


def first_error(form) -> str | None:
    """The first problem of a form, in field order, as one line fit to flash (in the user's language); None when
    there is none."""
    for field in form:
        for error in field.errors:
            return str(error)
    return None

