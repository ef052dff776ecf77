"""Strings of the weekly review, its report and shared links (French, English).

Kept beside :mod:`territoires.ui.i18n` (whose formatting functions they share) so the
review, the ``report`` command and the shared view read the same words. Plain words: the
readers are a communication team and elected officials.
"""

from __future__ import annotations

from territoires.ui.i18n import DEFAULT_LANG, lang

S: dict[str, dict[str, str]] = {
    "nav": {"fr": "Revue de la semaine", "en": "Weekly review"},
    "title": {"fr": "Revue de la semaine", "en": "Weekly review"},
    "title.period": {"fr": "Revue de la période", "en": "Review of the period"},
    "week": {"fr": "Semaine {week} · du {since} au {until}",
             "en": "Week {week} · {since} to {until}"},
    "period": {"fr": "Du {since} au {until}", "en": "From {since} to {until}"},
    "asof": {"fr": "Données à jour au {asof}", "en": "Data as of {asof}"},
    "k.interpellations": {"fr": "Interpellations", "en": "Questions to the city"},
    "k.response_rate": {"fr": "Taux de réponse", "en": "Response rate"},
    "k.median_service_response_minutes": {"fr": "Délai médian (heures d'ouverture)",
                                          "en": "Median time (service hours)"},
    "k.relays": {"fr": "Relais des messages de la ville", "en": "Relays of city posts"},
    "k.local_tweetos": {"fr": "Relayeurs locaux", "en": "Local relayers"},
    "k.hashtag_posts": {"fr": "Messages avec nos hashtags", "en": "Posts with our hashtags"},
    "vs.prev.week": {"fr": "vs semaine préc. : {d}", "en": "vs previous week: {d}"},
    "vs.avg.week": {"fr": "vs moy. 4 sem. : {d}", "en": "vs 4-week avg: {d}"},
    "vs.prev.period": {"fr": "vs période préc. : {d}", "en": "vs previous period: {d}"},
    "vs.avg.period": {"fr": "vs moy. 4 périodes : {d}", "en": "vs 4-period avg: {d}"},
    "vs.none": {"fr": "non comparable", "en": "not comparable"},
    "pts": {"fr": "pts", "en": "pts"},
    "same": {"fr": "stable", "en": "unchanged"},
    "fig.daily": {"fr": "Interpellations jour par jour", "en": "Questions to the city, day by day"},
    "fig.daily.answered": {"fr": "répondues", "en": "answered"},
    "fig.daily.pending": {"fr": "en attente", "en": "pending"},
    "fig.daily.missed": {"fr": "sans réponse", "en": "unanswered"},
    "fig.trend.week": {"fr": "Les 5 dernières semaines", "en": "The last 5 weeks"},
    "fig.trend.period": {"fr": "Les 5 dernières périodes", "en": "The last 5 periods"},
    "fig.trend.interpellations": {"fr": "interpellations", "en": "questions"},
    "fig.trend.relays": {"fr": "relais", "en": "relays"},
    "fig.partial.day": {"fr": "journée incomplète", "en": "incomplete day"},
    "fig.partial.week": {"fr": "semaine incomplète", "en": "incomplete week"},
    "fig.partial.period": {"fr": "période incomplète", "en": "incomplete period"},
    "fig.hashtags": {"fr": "Messages avec nos hashtags, jour par jour",
                     "en": "Posts with our hashtags, day by day"},
    "s.top": {"fr": "Messages de la ville les plus relayés", "en": "Most relayed city posts"},
    "s.top.meta": {"fr": "{relays} relais dont {local} locaux · {when}",
                   "en": "{relays} relays, {local} local · {when}"},
    "s.conv": {"fr": "La plus grande conversation", "en": "The largest conversation"},
    "s.conv.meta": {"fr": "{size} messages, {people} participants · commencée le {when} · {city}",
                    "en": "{size} posts, {people} participants · started {when} · {city}"},
    "s.conv.city": {"fr": "la ville y a répondu", "en": "the city took part"},
    "s.conv.nocity": {"fr": "la ville n'y a pas participé", "en": "the city did not take part"},
    "s.slow": {"fr": "La réponse la plus lente", "en": "The slowest answer"},
    "s.slow.meta": {
        "fr": "à @{account} le {when} · réponse en {total} ({service} en heures d'ouverture)",
        "en": "to @{account} on {when} · answered in {total} ({service} in service hours)",
    },
    "s.new": {"fr": "Nouveaux relayeurs locaux", "en": "New local relayers"},
    "s.new.meta": {"fr": "{relays} relais · {followers} abonnés",
                   "en": "{relays} relays · {followers} followers"},
    "s.none": {"fr": "Rien cette semaine.", "en": "Nothing this week."},
    "s.none.period": {"fr": "Rien sur cette période.", "en": "Nothing in this period."},
    "text.hidden": {"fr": "(texte masqué : message d'un particulier)",
                    "en": "(text hidden: a private person's post)"},
    "open.post": {"fr": "Voir le message", "en": "Open the post"},
    "privacy.line": {
        "fr": "Vie privée : les particuliers apparaissent sous un pseudonyme stable "
              "(« Habitant·e 17 ») et leurs messages sont {how} ; les comptes de la ville, "
              "certifiés, d'organisations ou très suivis sont nommés.",
        "en": "Privacy: private people appear under a stable alias (\"Resident 17\") and their "
              "posts are {how}; city, verified, organisation and widely followed accounts are "
              "named.",
    },
    "privacy.show": {"fr": "affichés", "en": "shown"},
    "privacy.truncate": {"fr": "tronqués", "en": "shortened"},
    "privacy.hide": {"fr": "masqués", "en": "hidden"},
    # ---- the page's controls
    "ctl.week": {"fr": "Semaine", "en": "Week"},
    "ctl.week.help": {
        "fr": "Semaine ISO, du lundi au dimanche, à l'heure locale du territoire. Le filtre "
              "« Période » de la barre latérale ne s'applique pas à la revue.",
        "en": "ISO week, Monday to Sunday, in the territory's local time. The sidebar's "
              "Period filter does not apply to the review.",
    },
    "ctl.present": {"fr": "Mode présentation", "en": "Presentation mode"},
    "ctl.present.exit": {"fr": "Quitter la présentation", "en": "Leave presentation mode"},
    "ctl.pdf": {"fr": "Télécharger en PDF", "en": "Download as PDF"},
    "ctl.png": {"fr": "Télécharger en image (PNG)", "en": "Download as image (PNG)"},
    "ctl.share": {"fr": "Créer un lien partagé", "en": "Create a shared link"},
    "ctl.share.help": {
        "fr": "Lecture seule : la personne qui ouvre ce lien voit cette revue (territoire et "
              "semaine fixés) et rien d'autre, sans les pages d'administration ni les filtres. "
              "{privacy}",
        "en": "Read-only: whoever opens this link sees this review (territory and week fixed) "
              "and nothing else: no admin pages, no filters. {privacy}",
    },
    "ctl.share.privacy.on": {"fr": "Les particuliers y sont pseudonymisés.",
                             "en": "Private people are shown under aliases."},
    "ctl.share.privacy.off": {
        "fr": "Attention : la pseudonymisation est désactivée dans la configuration.",
        "en": "Warning: pseudonymisation is turned off in the configuration.",
    },
    "ctl.share.days": {"fr": "Valable pendant (jours)", "en": "Valid for (days)"},
    "ctl.share.create": {"fr": "Créer le lien", "en": "Create the link"},
    "ctl.share.until": {"fr": "Lien valable jusqu'au {until}.", "en": "Link valid until {until}."},
    "ctl.share.nosecret": {
        "fr": "Les liens partagés sont désactivés : définissez la variable d'environnement "
              "TERRITOIRES_SHARE_SECRET pour le serveur (générée par "
              "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`), puis "
              "relancez-le. La démo en crée une à côté de son entrepôt.",
        "en": "Shared links are disabled: set the TERRITOIRES_SHARE_SECRET environment "
              "variable for the server (made by "
              "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`), then restart "
              "it. The demo makes one beside its warehouse.",
    },
    # ---- the shared view
    "shared.badge": {"fr": "Vue partagée, en lecture seule · lien valable jusqu'au {until}",
                     "en": "Shared read-only view · link valid until {until}"},
    "shared.expired.title": {"fr": "Ce lien a expiré", "en": "This link has expired"},
    "shared.expired": {
        "fr": "Il était valable jusqu'au {until}. Demandez un nouveau lien à la personne qui "
              "vous l'a envoyé.",
        "en": "It was valid until {until}. Ask the person who sent it for a new link.",
    },
    "shared.tampered.title": {"fr": "Ce lien n'est pas valide", "en": "This link is not valid"},
    "shared.tampered": {
        "fr": "Il a été modifié ou recopié de façon incomplète. Demandez un nouveau lien à la "
              "personne qui vous l'a envoyé.",
        "en": "It was changed or copied incompletely. Ask the person who sent it for a new "
              "link.",
    },
    "shared.disabled.title": {"fr": "Les liens partagés sont désactivés",
                              "en": "Shared links are turned off"},
    "shared.disabled": {
        "fr": "Ce serveur n'accepte pas de lien partagé pour le moment. Prévenez la personne "
              "qui vous l'a envoyé.",
        "en": "This server does not accept shared links at the moment. Tell the person who "
              "sent it to you.",
    },
    "shared.gone.title": {"fr": "Cette vue n'est plus disponible",
                          "en": "This view is no longer available"},
    "shared.gone": {"fr": "Le territoire de ce lien n'est plus suivi sur ce serveur.",
                    "en": "This link's territory is no longer followed on this server."},
}


def tr(key: str, **values: object) -> str:
    """The string ``key`` in the current language (see :func:`territoires.ui.i18n.lang`)."""
    entry = S.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text
