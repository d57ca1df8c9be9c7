"""The form of the "Saisie sur notifications.cnil.fr" page: the CNIL's acknowledgement number, once the DPO sent the
notification on the téléservice. The values are checked by the wizard's step "Envoi à la CNIL" (breaches.services)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional


class AcknowledgementForm(FlaskForm):
    reference = StringField(_l("Numéro d'accusé de réception de la CNIL"), validators=[Optional(), Length(max=100)])
    sent_at = StringField(_l("Notification envoyée à la CNIL le"), validators=[Optional(), Length(max=40)])
    version = HiddenField()
