"""Interface strings, French by default, English available (``?lang=en`` in the URL).

Plain words for elected officials: no jargon, no column names. ``t(key, **values)``
formats the string of the current language; a key missing in English falls back to French.
"""

from __future__ import annotations

from datetime import date, datetime

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
_current = {"lang": DEFAULT_LANG}

_WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_WEEKDAYS_SHORT = {
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}

S: dict[str, dict[str, str]] = {
    # ---- shell
    "app.name": {"fr": "Territoires", "en": "Territoires"},
    "nav.today": {"fr": "Aujourd'hui", "en": "Today"},
    "nav.review": {"fr": "Revue de la semaine", "en": "Weekly review"},
    "nav.conversations": {"fr": "Conversations", "en": "Conversations"},
    "nav.responsiveness": {"fr": "Réactivité", "en": "Responsiveness"},
    "nav.relays": {"fr": "Relais locaux", "en": "Local relays"},
    "nav.hashtags": {"fr": "Hashtags", "en": "Hashtags"},
    "nav.collection": {"fr": "Collecte", "en": "Collection"},
    "nav.definitions": {"fr": "Définitions", "en": "Definitions"},
    "nav.section.follow": {"fr": "Suivi", "en": "Follow-up"},
    "nav.section.about": {"fr": "Données et méthode", "en": "Data and method"},
    "nav.unknown": {
        "fr": "L'adresse « {path} » ne correspond à aucune page : voici la page d'accueil.",
        "en": "The address “{path}” matches no page: here is the home page.",
    },
    "filter.territory": {"fr": "Territoire", "en": "Territory"},
    "filter.period": {"fr": "Période", "en": "Period"},
    "filter.period.help": {
        "fr": "Du premier au dernier jour inclus, à l'heure locale du territoire.",
        "en": "From the first to the last day included, in the territory's local time.",
    },
    "filter.account": {"fr": "Compte de la ville", "en": "City account"},
    "filter.account.all": {"fr": "Tous les comptes", "en": "All accounts"},
    "filter.lang": {"fr": "Langue", "en": "Language"},
    "filter.platform": {"fr": "Plateforme", "en": "Platform"},
    "filter.platform.all": {"fr": "Toutes les plateformes", "en": "All platforms"},
    "platform.caption": {"fr": "Plateforme : {platform}", "en": "Platform: {platform}"},
    "today.split": {"fr": "Par plateforme, les 7 derniers jours",
                    "en": "By platform, the last 7 days"},
    "today.split.caption": {
        "fr": "Les mêmes indicateurs que ci-dessus, plateforme par plateforme.",
        "en": "The same figures as above, platform by platform.",
    },
    "audience.title": {"fr": "Le public d'une plateforme à l'autre",
                       "en": "The audience across platforms"},
    "audience.summary": {
        "fr": "Sur la période, {parts} ; hors X : {first} des interpellations et relais "
              "la première semaine complète (du {first_week}), {last} la dernière "
              "(du {last_week}).",
        "en": "Over the period, {parts}; outside X: {first} of interpellations and relays "
              "in the first whole week (from {first_week}), {last} in the last "
              "(from {last_week}).",
    },
    "audience.summary.short": {
        "fr": "Sur la période, {parts} ; moins de deux semaines complètes : pas de "
              "comparaison d'une semaine à l'autre.",
        "en": "Over the period, {parts}; fewer than two whole weeks: no week-to-week "
              "comparison.",
    },
    "audience.part": {"fr": "{platform} : {inter} interpellations et {rel} relais",
                      "en": "{platform}: {inter} interpellations and {rel} relays"},
    "period.caption": {
        "fr": "Du {since} au {until} · données à jour au {asof}",
        "en": "From {since} to {until} · data as of {asof}",
    },
    "asof.caption": {"fr": "Données à jour au {asof}", "en": "Data as of {asof}"},
    "share.button": {"fr": "Copier le lien de cette vue", "en": "Copy the link to this view"},
    "share.help": {
        "fr": "Ce lien rouvre exactement cette page, ce territoire, cette période et ces filtres. "
              "Cliquez sur l'icône de copie à droite du lien.",
        "en": "This link reopens exactly this page, territory, period and filters. "
              "Click the copy icon at the right of the link.",
    },
    "error.page": {
        "fr": "Cette partie de la page n'a pas pu s'afficher. L'incident est consigné dans le "
              "journal du serveur ; réessayez dans un instant ou changez de période.",
        "en": "This part of the page could not be shown. The incident is recorded in the "
              "server log; try again in a moment or change the period.",
    },
    "error.no_territory": {
        "fr": "Aucun territoire dans cet entrepôt. Créez-en un avec `territoires demo` ou "
              "`territoires import … --config FICHIER`.",
        "en": "No territory in this warehouse. Create one with `territoires demo` or "
              "`territoires import … --config FILE`.",
    },
    "error.no_warehouse": {
        "fr": "L'entrepôt de données est introuvable ({db}). Lancez le tableau de bord avec "
              "`territoires serve --db CHEMIN`.",
        "en": "The data warehouse was not found ({db}). Start the dashboard with "
              "`territoires serve --db PATH`.",
    },
    "empty.period": {"fr": "Aucune donnée sur cette période.", "en": "No data for this period."},
    "chart.data": {"fr": "Données du graphique", "en": "Chart data"},
    "chart.download": {"fr": "Télécharger (CSV)", "en": "Download (CSV)"},
    "chart.partial.day": {"fr": "journée incomplète", "en": "incomplete day"},
    "chart.partial.week": {"fr": "semaine incomplète", "en": "incomplete week"},
    "table.download": {"fr": "Télécharger le tableau (CSV)", "en": "Download the table (CSV)"},
    "definition.link": {"fr": "Définition", "en": "Definition"},
    "definitions.link": {
        "fr": "Comment ces chiffres sont calculés", "en": "How these figures are computed",
    },
    "vs.usual": {"fr": "d'habitude : {usual}", "en": "usually {usual}"},
    "unit.pts": {"fr": "pts", "en": "pts"},
    "minutes.short": {"fr": "min", "en": "min"},
    "unit.hours": {"fr": "h", "en": "h"},
    "na": {"fr": "—", "en": "—"},
    "open.post": {"fr": "Ouvrir", "en": "Open"},
    "city.badge": {"fr": "Ville", "en": "City"},
    # ---- columns (shared)
    "col.date": {"fr": "Jour", "en": "Day"},
    "col.week": {"fr": "Semaine", "en": "Week"},
    "col.created": {"fr": "Publié le", "en": "Posted"},
    "col.author": {"fr": "Auteur", "en": "Author"},
    "col.name": {"fr": "Nom", "en": "Name"},
    "col.text": {"fr": "Message", "en": "Message"},
    "col.account": {"fr": "Compte interpellé", "en": "Account addressed"},
    "col.link": {"fr": "Lien", "en": "Link"},
    "col.age": {"fr": "Attente", "en": "Waiting"},
    "col.age_service": {"fr": "Attente (heures d'ouverture)", "en": "Waiting (service hours)"},
    "col.posts": {"fr": "Messages", "en": "Posts"},
    "col.label": {"fr": "Libellé", "en": "Label"},
    "col.city_account": {"fr": "Compte de la ville", "en": "City account"},
    "col.kind": {"fr": "Type", "en": "Kind"},
    "col.count": {"fr": "Nombre", "en": "Count"},
    "col.followers": {"fr": "Abonnés", "en": "Followers"},
    "col.relays": {"fr": "Relais", "en": "Relays"},
    "col.rank": {"fr": "Rang", "en": "Rank"},
    "col.first_seen": {"fr": "Premier relais", "en": "First relay"},
    "col.last_relay": {"fr": "Dernier relais", "en": "Last relay"},
    "col.hashtag": {"fr": "Hashtag", "en": "Hashtag"},
    "col.contributors": {"fr": "Contributeurs", "en": "Contributors"},
    "col.size": {"fr": "Messages", "en": "Posts"},
    "col.participants": {"fr": "Participants", "en": "Participants"},
    "col.city_took_part": {"fr": "La ville a participé", "en": "City took part"},
    "col.started": {"fr": "Début", "en": "Started"},
    "col.last_post": {"fr": "Dernier message", "en": "Last post"},
    "col.root_text": {"fr": "Premier message", "en": "First post"},
    "col.status": {"fr": "Statut", "en": "Status"},
    "col.response": {"fr": "Délai de réponse", "en": "Response time"},
    "col.response_service": {"fr": "Délai (heures d'ouverture)", "en": "Time (service hours)"},
    "col.answered_by": {"fr": "Répondu par", "en": "Answered by"},
    "col.weekday": {"fr": "Jour de la semaine", "en": "Weekday"},
    "col.hour": {"fr": "Heure", "en": "Hour"},
    "col.local": {"fr": "Local", "en": "Local"},
    "col.share": {"fr": "Part", "en": "Share"},
    "col.value": {"fr": "Valeur", "en": "Value"},
    "col.series": {"fr": "Série", "en": "Series"},
    "status.answered": {"fr": "répondu", "en": "answered"},
    "status.pending": {"fr": "en attente", "en": "pending"},
    "status.missed": {"fr": "sans réponse", "en": "missed"},
    # ---- metrics
    "m.interpellations": {"fr": "Interpellations", "en": "Interpellations"},
    "m.interpellations.help": {
        "fr": "Messages adressés à un compte de la ville qui attendent une réponse : réponse à "
              "un message de la ville, ou mention d'un compte de la ville hors d'une réponse. "
              "Les retweets n'en sont jamais.",
        "en": "Posts addressed to a city account that expect an answer: a reply to a city post, "
              "or a mention of a city account outside a reply. Reposts never are.",
    },
    "m.response_rate": {"fr": "Taux de réponse", "en": "Response rate"},
    "m.response_rate.help": {
        "fr": "Part des interpellations de la période auxquelles un compte de la ville a répondu.",
        "en": "Share of the period's interpellations that a city account answered.",
    },
    "m.median_service": {
        "fr": "Délai médian (heures d'ouverture)", "en": "Median time (service hours)",
    },
    "m.median_service.tile": {"fr": "Délai médian", "en": "Median time"},
    "m.median_service.help": {
        "fr": "La moitié des réponses arrivent plus vite que ce délai, compté seulement pendant "
              "les heures d'ouverture du compte qui répond (jours fériés exclus).",
        "en": "Half of the answers arrive faster than this, counting only the answering "
              "account's service hours (public holidays excluded).",
    },
    "m.median": {"fr": "Délai médian (temps calendaire)", "en": "Median time (calendar)"},
    "m.median.tile": {"fr": "Délai médian calendaire", "en": "Median (calendar)"},
    "m.median.help": {
        "fr": "La moitié des réponses arrivent plus vite que ce délai (temps calendaire).",
        "en": "Half of the answers arrive faster than this (calendar time).",
    },
    "m.p90": {"fr": "Délai à 90 % (temps calendaire)", "en": "90th percentile (calendar)"},
    "m.p90.tile": {"fr": "Délai à 90 % calendaire", "en": "90th pct. (calendar)"},
    "m.p90.help": {
        "fr": "9 réponses sur 10 arrivent plus vite que ce délai (temps calendaire).",
        "en": "9 answers out of 10 arrive faster than this (calendar time).",
    },
    "m.answered": {"fr": "Répondues", "en": "Answered"},
    "m.answered.help": {
        "fr": "Interpellations auxquelles un compte de la ville a répondu dans la même "
              "conversation, en s'adressant à leur auteur.",
        "en": "Interpellations a city account answered in the same conversation, replying "
              "to their author.",
    },
    "m.relays": {"fr": "Relais", "en": "Relays"},
    "m.relays.help": {
        "fr": "Retweets ou citations d'un message de la ville, ou liens vers un site de la "
              "ville, publiés par d'autres comptes. Les réponses n'en sont pas.",
        "en": "Reposts or quotes of a city post, or links to a city website, by other "
              "accounts. Replies are not relays.",
    },
    "m.local_relays": {"fr": "Relais locaux", "en": "Local relays"},
    "m.local_relays.help": {
        "fr": "Relais publiés par des comptes locaux (lieu ou bio du profil qui cite le "
              "territoire, ou compte ajouté à la main).",
        "en": "Relays by local accounts (profile location or bio naming the territory, or "
              "listed by hand).",
    },
    "m.local_tweetos": {"fr": "Relayeurs locaux", "en": "Local relayers"},
    "m.local_tweetos.help": {
        "fr": "Comptes locaux ayant relayé au moins une fois la ville sur la période.",
        "en": "Local accounts that relayed the city at least once in the period.",
    },
    "m.potential_reach": {"fr": "Portée potentielle", "en": "Potential reach"},
    "m.potential_reach.help": {
        "fr": "Somme des abonnés des comptes distincts qui ont relayé : un plafond, pas un "
              "nombre de lecteurs.",
        "en": "Sum of the followers of the distinct accounts that relayed: a ceiling, not a "
              "number of readers.",
    },
    "m.p90_service": {
        "fr": "Délai à 90 % (heures d'ouverture)", "en": "90th percentile (service hours)",
    },
    "m.p90_service.tile": {"fr": "Délai à 90 %", "en": "90th percentile"},
    "m.p90_service.help": {
        "fr": "9 réponses sur 10 arrivent plus vite que ce délai, compté seulement pendant les "
              "heures d'ouverture du compte qui répond.",
        "en": "9 answers out of 10 arrive faster than this, counting only the answering "
              "account's service hours.",
    },
    "m.pending": {"fr": "En attente", "en": "Pending"},
    "m.pending.help": {
        "fr": "Interpellations sans réponse depuis moins de 7 jours.",
        "en": "Interpellations unanswered for less than 7 days.",
    },
    "m.missed": {"fr": "Sans réponse", "en": "Missed"},
    "m.missed.help": {
        "fr": "Interpellations restées sans réponse plus de 7 jours.",
        "en": "Interpellations left unanswered for more than 7 days.",
    },
    "m.hashtag_posts": {"fr": "Messages avec hashtag", "en": "Hashtag posts"},
    "m.hashtag_posts.help": {
        "fr": "Messages contenant un hashtag suivi (le mot entier, majuscules ignorées).",
        "en": "Posts containing a tracked hashtag (the whole tag, case-insensitive).",
    },
    "m.posts_total": {"fr": "Messages collectés", "en": "Posts collected"},
    "m.posts_total.help": {
        "fr": "Tous les messages recueillis pour le territoire sur la période, retweets compris.",
        "en": "Every post collected for the territory in the period, reposts included.",
    },
    # ---- today
    "today.title": {"fr": "Aujourd'hui", "en": "Today"},
    "today.queue": {"fr": "À traiter", "en": "To answer"},
    "today.queue.caption": {
        "fr": "{n} interpellation(s) sans réponse depuis moins de 7 jours, la plus ancienne "
              "en premier. L'attente est aussi comptée en heures d'ouverture du compte "
              "interpellé.",
        "en": "{n} interpellation(s) unanswered for less than 7 days, oldest first. The wait "
              "is also counted in the addressed account's service hours.",
    },
    "today.queue.empty": {
        "fr": "Rien en attente : toutes les interpellations récentes ont reçu une réponse.",
        "en": "Nothing pending: every recent interpellation was answered.",
    },
    "today.queue.meta": {
        "fr": "{when} · à @{account} · attente {age} ({service} en heures d'ouverture)",
        "en": "{when} · to @{account} · waiting {age} ({service} in service hours)",
    },
    "today.compare": {"fr": "Hier et les 7 derniers jours", "en": "Yesterday and the last 7 days"},
    "today.compare.caption": {
        "fr": "Comparés à l'habitude : la moyenne des 4 semaines précédentes ({since} – {until}).",
        "en": "Compared with the usual: the average of the 4 previous weeks ({since} – {until}).",
    },
    "today.yesterday": {"fr": "Hier ({day})", "en": "Yesterday ({day})"},
    "today.week": {
        "fr": "7 derniers jours ({since} – {until})", "en": "Last 7 days ({since} – {until})",
    },
    "today.alerts": {"fr": "Alertes", "en": "Alerts"},
    "today.alerts.none": {
        "fr": "Aucun pic inhabituel hier ni aujourd'hui sur les hashtags suivis ni sur les "
              "mentions de la ville.",
        "en": "No unusual spike yesterday or today on the tracked hashtags or the city's "
              "mentions.",
    },
    "today.alert": {
        "fr": "Pic sur {series} le {day} : {count} messages, contre {usual} habituellement "
              "(médiane des 28 jours précédents).",
        "en": "Spike on {series} on {day}: {count} posts, against {usual} usually "
              "(median of the previous 28 days).",
    },
    "today.alert.posts": {"fr": "Les messages de ce pic", "en": "The posts behind this spike"},
    # ---- today: the inbox (territoires/ui/inbox.py)
    "inbox.rate.public": {
        "fr": "Taux de réponse, 7 derniers jours (public)",
        "en": "Response rate, last 7 days (public)",
    },
    "inbox.rate.public.help": {
        "fr": "{answered} interpellations répondues publiquement sur {n}. Ce chiffre ne change "
              "jamais avec le triage : chacun peut le recalculer à partir des messages publics.",
        "en": "{answered} interpellations answered publicly out of {n}. This figure never "
              "changes with triage: anyone can recompute it from the public posts.",
    },
    "inbox.rate.expecting": {
        "fr": "Taux de réponse (messages qui attendent une réponse)",
        "en": "Response rate (messages that expect an answer)",
    },
    "inbox.rate.expecting.help": {
        "fr": "{answered} répondues ou traitées hors réseau sur {n} qui attendent une réponse "
              "(jugement automatique, corrigé par le triage).",
        "en": "{answered} answered or handled elsewhere out of {n} that expect an answer "
              "(automatic judgement, corrected by triage).",
    },
    "inbox.rate.caption": {
        "fr": "Du {since} au {until}. Le second taux ne compte que les messages qui attendent "
              "une réponse ({answered} sur {n}) : il bouge quand vous triez, le premier jamais.",
        "en": "From {since} to {until}. The second rate counts only the messages that expect "
              "an answer ({answered} of {n}): it moves when you triage, the first never does.",
    },
    "inbox.state": {"fr": "État", "en": "State"},
    "inbox.state.todo": {"fr": "À traiter", "en": "To answer"},
    "inbox.state.forwarded": {"fr": "Transmis à un service", "en": "Forwarded to a service"},
    "inbox.state.no_answer": {"fr": "Pas de réponse attendue", "en": "No answer expected"},
    "inbox.state.handled": {"fr": "Traité hors réseau", "en": "Handled elsewhere"},
    "inbox.state.all": {"fr": "Tout", "en": "All"},
    "inbox.service": {"fr": "Service", "en": "Service"},
    "inbox.service.help": {
        "fr": "Le service d'un message : celui auquel il a été transmis, sinon celui que ses "
              "mots suggèrent (mots-clés des [[services]] du fichier du territoire).",
        "en": "A message's service: the one it was forwarded to, else the one its words "
              "suggest (keywords of the territory file's [[services]]).",
    },
    "inbox.service.all": {"fr": "Tous", "en": "All"},
    "inbox.service.without": {"fr": "Sans service", "en": "No service"},
    "inbox.service.none": {"fr": "—", "en": "—"},
    "inbox.service.choose": {"fr": "— choisir —", "en": "— choose —"},
    "inbox.service.suggested": {"fr": "Service suggéré : {service}",
                                "en": "Suggested service: {service}"},
    "inbox.service.forwarded": {"fr": "Transmis à : {service}", "en": "Forwarded to: {service}"},
    "inbox.service.no_suggestion": {"fr": "Aucun service suggéré",
                                    "en": "No service suggested"},
    "inbox.forward_to": {"fr": "Service (pour transmettre)", "en": "Service (to forward)"},
    "inbox.expects": {"fr": "Réponse attendue", "en": "Answer expected"},
    "inbox.no_answer": {"fr": "Pas de réponse attendue", "en": "No answer expected"},
    "inbox.auto": {"fr": "{verdict} — {why} (jugement automatique)",
                   "en": "{verdict} — {why} (automatic judgement)"},
    "inbox.decided_line": {
        "fr": "Décision : {what}, le {when}. Jugement automatique : {auto}",
        "en": "Decision: {what}, on {when}. Automatic judgement: {auto}",
    },
    "inbox.reopened_line": {
        "fr": "Rouvert le {when} : {auto}", "en": "Reopened on {when}: {auto}",
    },
    "inbox.rule.empty": {"fr": "message vide (seulement des mentions ou des liens)",
                         "en": "empty message (only mentions or links)"},
    "inbox.rule.emoji_only": {"fr": "seulement des émojis ou de la ponctuation",
                              "en": "only emoji or punctuation"},
    "inbox.rule.question": {"fr": "question (« ? » ou tournure interrogative)",
                            "en": "question (a “?” or an interrogative form)"},
    "inbox.rule.request": {"fr": "demande (« merci de… », « svp », « pourriez-vous… »)",
                           "en": "request (“please”, “could you…”)"},
    "inbox.rule.problem_report": {"fr": "signalement d'un problème (panne, fuite, dépôt…)",
                                  "en": "report of a problem (fault, leak, dumping…)"},
    "inbox.rule.complaint": {"fr": "réclamation ou mécontentement",
                             "en": "complaint or discontent"},
    "inbox.rule.thanks": {"fr": "remerciement", "en": "thanks"},
    "inbox.rule.praise": {"fr": "compliment", "en": "praise"},
    "inbox.rule.greeting": {"fr": "salutation", "en": "greeting"},
    "inbox.rule.acknowledgement": {"fr": "simple accusé de réception (« d'accord », « noté »)",
                                   "en": "plain acknowledgement (“ok”, “noted”)"},
    "inbox.rule.default": {"fr": "aucun signe de remerciement ni de salutation : une réponse "
                                 "est attendue par défaut",
                           "en": "no sign of thanks or greeting: an answer is expected by "
                                 "default"},
    "inbox.rule.unknown": {"fr": "pas encore jugé", "en": "not judged yet"},
    "inbox.decision.no_answer_expected": {"fr": "Pas de réponse attendue",
                                          "en": "No answer expected"},
    "inbox.decision.handled_elsewhere": {"fr": "Traité hors réseau", "en": "Handled elsewhere"},
    "inbox.decision.forwarded": {"fr": "Transmis à un service", "en": "Forwarded to a service"},
    "inbox.decision.reopened": {"fr": "Rouvert", "en": "Reopened"},
    "inbox.decision.note": {"fr": "Note", "en": "Note"},
    "inbox.action.no_answer_expected": {"fr": "Pas de réponse attendue",
                                        "en": "No answer expected"},
    "inbox.action.handled_elsewhere": {"fr": "Traité hors réseau", "en": "Handled elsewhere"},
    "inbox.action.forwarded": {"fr": "Transmettre au service", "en": "Forward to the service"},
    "inbox.action.note": {"fr": "Note", "en": "Note"},
    "inbox.action.reopened": {"fr": "Rouvrir", "en": "Reopen"},
    "inbox.note": {"fr": "Note (facultative)", "en": "Note (optional)"},
    "inbox.note.placeholder": {"fr": "Jointe à l'action choisie (Tab puis Entrée)",
                               "en": "Goes with the action you choose (Tab, then Enter)"},
    "inbox.history": {"fr": "Historique ({n})", "en": "History ({n})"},
    "inbox.history.erased": {"fr": "(nom effacé)", "en": "(name erased)"},
    "inbox.name": {"fr": "Votre nom (journal de triage)", "en": "Your name (triage journal)"},
    "inbox.name.help": {
        "fr": "Chaque décision de triage est enregistrée avec ce nom (historique des cartes).",
        "en": "Every triage decision is recorded under this name (the cards' history).",
    },
    "inbox.name.header": {"fr": "Journal de triage : {name}", "en": "Triage journal: {name}"},
    "inbox.name.needed": {
        "fr": "Indiquez votre nom dans la barre latérale pour trier (« Votre nom ») : les "
              "actions sont désactivées d'ici là.",
        "en": "Enter your name in the sidebar to triage (“Your name”): actions stay disabled "
              "until then.",
    },
    "inbox.pinned": {
        "fr": "Vue figée à une date (lien partagé) : on peut la consulter, pas y trier.",
        "en": "A view frozen at an instant (shared link): it can be read, not triaged.",
    },
    "inbox.empty": {"fr": "Rien dans cet état pour ce service.",
                    "en": "Nothing in this state for this service."},
    "inbox.more": {"fr": "… et {n} autre(s) dans le tableau ci-dessous.",
                   "en": "… and {n} more in the table below."},
    "inbox.table": {"fr": "Toute la file (sélectionnez des lignes pour agir en lot)",
                    "en": "The whole queue (select rows to act in bulk)"},
    "inbox.col.state": {"fr": "État", "en": "State"},
    "inbox.col.judgement": {"fr": "Jugement automatique", "en": "Automatic judgement"},
    "inbox.bulk": {"fr": "Action en lot : {n} message(s) sélectionné(s)",
                   "en": "Bulk action: {n} message(s) selected"},
    "inbox.bulk.action": {"fr": "Action", "en": "Action"},
    "inbox.bulk.apply": {"fr": "Appliquer à {n} messages", "en": "Apply to {n} messages"},
    "inbox.done": {"fr": "{what} : {n} message(s).", "en": "{what}: {n} message(s)."},
    "inbox.undo.text": {"fr": "Dernière action : {what} ({n} message(s)).",
                        "en": "Last action: {what} ({n} message(s))."},
    "inbox.undo": {"fr": "Annuler", "en": "Undo"},
    "inbox.undone": {"fr": "Action annulée.", "en": "Action undone."},
    "inbox.error": {"fr": "Décision non enregistrée : {reason}",
                    "en": "Decision not recorded: {reason}"},
    "inbox.error.name": {"fr": "Indiquez votre nom avant de trier.",
                         "en": "Enter your name before triaging."},
    "inbox.error.decision": {"fr": "action inconnue", "en": "unknown action"},
    "inbox.error.service": {"fr": "choisissez le service auquel transmettre",
                            "en": "choose the service to forward to"},
    "inbox.error.note": {"fr": "la note est vide", "en": "the note is empty"},
    "series.mentions": {"fr": "les mentions de la ville", "en": "the city's mentions"},
    # ---- conversations
    "conv.title": {"fr": "Conversations", "en": "Conversations"},
    "conv.volume": {"fr": "Volume par type", "en": "Volume by kind"},
    "conv.volume.summary": {
        "fr": "Sur la période : {parts}. Jour le plus chargé : {peak_day} ({peak} messages).",
        "en": "Over the period: {parts}. Busiest day: {peak_day} ({peak} posts).",
    },
    "kind.interpellations": {"fr": "interpellations", "en": "interpellations"},
    "kind.city_replies": {"fr": "réponses de la ville", "en": "city replies"},
    "kind.mentions": {"fr": "mentions", "en": "mentions"},
    "kind.hashtag_posts": {"fr": "messages avec hashtag", "en": "hashtag posts"},
    "kind.relays": {"fr": "relais", "en": "relays"},
    "conv.threads": {"fr": "Fils de discussion", "en": "Threads"},
    "conv.largest": {"fr": "Les plus longs", "en": "Largest"},
    "conv.recent": {"fr": "Les plus récents", "en": "Most recent"},
    "conv.open": {"fr": "Ouvrir un fil", "en": "Open a thread"},
    "conv.root_erased": {"fr": "(message effacé)", "en": "(erased post)"},
    "account.erased": {"fr": "compte effacé", "en": "erased account"},
    "conv.thread.caption": {
        "fr": "{n} message(s), du plus ancien au plus récent.",
        "en": "{n} post(s), oldest first.",
    },
    "conv.participants": {"fr": "Participants les plus actifs", "en": "Most active participants"},
    "conv.search": {"fr": "Rechercher dans les messages", "en": "Search the posts"},
    "conv.search.placeholder": {"fr": "un mot, une expression…", "en": "a word, a phrase…"},
    "conv.search.results": {
        "fr": "{n} message(s) contiennent « {q} » sur la période (100 au plus affichés).",
        "en": "{n} post(s) contain “{q}” in the period (at most 100 shown).",
    },
    # ---- responsiveness
    "resp.title": {"fr": "Réactivité", "en": "Responsiveness"},
    "resp.targets": {"fr": "Objectifs de l'équipe", "en": "The team's targets"},
    "resp.target_rate": {"fr": "Taux de réponse visé (%)", "en": "Target response rate (%)"},
    "resp.target_hours": {
        "fr": "Délai médian visé (heures d'ouverture)", "en": "Target median time (service hours)",
    },
    "resp.vs_target": {"fr": "objectif {target}", "en": "target {target}"},
    "resp.week_of": {"fr": "sem. du {day}", "en": "week of {day}"},
    "resp.by_account": {"fr": "Par compte de la ville", "en": "By city account"},
    "resp.weekly": {"fr": "Semaine après semaine", "en": "Week by week"},
    "resp.weekly.summary": {
        "fr": "Taux de réponse par semaine complète, de {low} à {high} ; objectif {target}.",
        "en": "Response rate per whole week, from {low} to {high}; target {target}.",
    },
    "resp.weekly.summary.none": {
        "fr": "Aucune semaine complète sur la période ; objectif {target}.",
        "en": "No whole week in the period; target {target}.",
    },
    "resp.heatmap": {"fr": "Quand arrivent les interpellations, quand la ville répond",
                     "en": "When interpellations arrive, when the city answers"},
    "resp.heat.arrivals": {"fr": "Arrivées", "en": "Arrivals"},
    "resp.heat.answers": {"fr": "Réponses", "en": "Answers"},
    "resp.heat.scale.arrivals": {"fr": "Interpellations reçues", "en": "Interpellations received"},
    "resp.heat.scale.answers": {"fr": "Réponses de la ville", "en": "City answers"},
    "resp.heat.summary": {
        "fr": "{what} par jour de la semaine et heure locale ; créneau le plus chargé : {slot} "
              "({n}).",
        "en": "{what} by weekday and local hour; busiest slot: {slot} ({n}).",
    },
    "resp.slowest": {"fr": "Les réponses les plus lentes", "en": "The slowest answers"},
    "resp.missed": {"fr": "Restées sans réponse", "en": "Left unanswered"},
    "resp.col.answered": {"fr": "Répondues", "en": "Answered"},
    "resp.col.rate": {"fr": "Taux de réponse", "en": "Response rate"},
    # ---- the expected-answer family (after triage), always beside the public figures: one
    # name per figure, on Réactivité, in the weekly review, its PDF/PNG and shared links
    "expected.title": {"fr": "Réponse attendue, après tri", "en": "Answer expected, after triage"},
    "expected.caption": {
        "fr": "Après le tri de l'équipe : les messages qui attendent une réponse ; les chiffres "
              "publics ne changent pas.",
        "en": "After the team's triage: the messages that expect an answer; the public "
              "figures do not change.",
    },
    "m.expecting_answer": {"fr": "Attendaient une réponse", "en": "Expected an answer"},
    "m.expecting_answer.help": {
        "fr": "Interpellations de la période qui attendent une réponse : le jugement automatique "
              "sur leur texte, sauf décision de l'équipe (pas de réponse attendue, traité hors "
              "réseau, transmis à un service).",
        "en": "The period's interpellations that expect an answer: the automatic judgement of "
              "their text, unless the team decided otherwise (no answer expected, handled "
              "elsewhere, forwarded to a service).",
    },
    "m.answered_expecting": {"fr": "Répondues (réponse attendue)",
                             "en": "Answered (answer expected)"},
    "m.answered_expecting.help": {
        "fr": "Parmi celles qui attendaient une réponse, celles auxquelles la ville a répondu "
              "publiquement ou que l'équipe a traitées hors réseau (message privé, téléphone, "
              "courriel, guichet).",
        "en": "Of those expecting an answer, the ones the city answered publicly or the team "
              "handled elsewhere (private message, phone, e-mail, counter).",
    },
    "m.response_rate_expecting": {"fr": "Taux de réponse (réponse attendue)",
                                  "en": "Response rate (answer expected)"},
    "m.response_rate_expecting.tile": {"fr": "Taux (réponse attendue)",
                                       "en": "Rate (answer expected)"},
    "m.response_rate_expecting.help": {
        "fr": "Répondues (réponse attendue) ÷ attendaient une réponse. Le taux de réponse "
              "public, lui, compte toutes les interpellations et ne change pas avec le tri.",
        "en": "Answered (answer expected) ÷ expected an answer. The public response rate "
              "counts every interpellation and does not change with triage.",
    },
    "m.pending_expecting": {"fr": "En attente (réponse attendue)",
                            "en": "Pending (answer expected)"},
    "m.pending_expecting.tile": {"fr": "Dont en attente", "en": "Of which pending"},
    "m.pending_expecting.help": {
        "fr": "Parmi celles qui attendaient une réponse, celles sans réponse depuis moins de "
              "7 jours.",
        "en": "Of those expecting an answer, the ones unanswered for less than 7 days.",
    },
    "m.missed_expecting": {"fr": "Sans réponse (réponse attendue)",
                           "en": "Missed (answer expected)"},
    "m.missed_expecting.tile": {"fr": "Dont sans réponse", "en": "Of which missed"},
    "m.missed_expecting.help": {
        "fr": "Parmi celles qui attendaient une réponse, celles restées sans réponse plus de "
              "7 jours.",
        "en": "Of those expecting an answer, the ones left unanswered for more than 7 days.",
    },
    # ---- relays
    "rel.title": {"fr": "Relais locaux", "en": "Local relays"},
    "rel.ranking": {"fr": "Classement des relayeurs locaux", "en": "Local relayers ranking"},
    "rel.over_time": {"fr": "Relais au fil des jours", "en": "Relays over time"},
    "rel.over_time.summary": {
        "fr": "{total} relais sur la période, dont {local} par des comptes locaux ({share}).",
        "en": "{total} relays in the period, {local} of them by local accounts ({share}).",
    },
    "rel.share": {"fr": "{share} des relais", "en": "{share} of relays"},
    "rel.local": {"fr": "locaux", "en": "local"},
    "rel.nonlocal": {"fr": "non locaux", "en": "non-local"},
    "rel.newcomers": {"fr": "Nouveaux relayeurs cette semaine", "en": "New relayers this week"},
    "rel.newcomers.caption": {
        "fr": "Comptes locaux dont le premier relais date des 7 derniers jours de la période "
              "({since} – {until}).",
        "en": "Local accounts whose first relay falls in the last 7 days of the period "
              "({since} – {until}).",
    },
    "rel.newcomers.none": {"fr": "Aucun nouveau relayeur local.", "en": "No new local relayer."},
    "rel.top_posts": {"fr": "Messages de la ville les plus relayés",
                      "en": "Most relayed city posts"},
    "rel.kind.repost": {"fr": "retweet", "en": "repost"},
    "rel.kind.quote": {"fr": "citation", "en": "quote"},
    "rel.kind.link": {"fr": "lien", "en": "link"},
    # ---- hashtags
    "ht.title": {"fr": "Hashtags", "en": "Hashtags"},
    "ht.none": {"fr": "Aucun hashtag suivi n'est configuré pour ce territoire.",
                "en": "No tracked hashtag is configured for this territory."},
    "ht.activity": {"fr": "Activité par hashtag", "en": "Activity per hashtag"},
    "ht.activity.summary": {
        "fr": "{parts}. Pics marqués : {spikes}.",
        "en": "{parts}. Spikes marked: {spikes}.",
    },
    "ht.spike": {"fr": "pic", "en": "spike"},
    "ht.no_spike": {"fr": "aucun", "en": "none"},
    "ht.contributors": {"fr": "Principaux contributeurs", "en": "Top contributors"},
    "ht.cooccurring": {"fr": "Hashtags associés", "en": "Hashtags used alongside"},
    "ht.cooc.summary": {
        "fr": "Le hashtag le plus souvent associé est {tag} ({n} messages) ; {k} hashtags "
              "associés sont affichés.",
        "en": "The hashtag most often used alongside is {tag} ({n} posts); {k} hashtags are "
              "shown.",
    },
    "ht.city_share": {"fr": "Part de la ville", "en": "The city's share"},
    "ht.city_share.text": {
        "fr": "{city} message(s) sur {total} avec un hashtag suivi viennent des comptes de la "
              "ville ({share}).",
        "en": "{city} of {total} posts with a tracked hashtag come from the city's accounts "
              "({share}).",
    },
    # ---- collection
    "col.title": {"fr": "Collecte", "en": "Collection"},
    "run.ok": {"fr": "réussie", "en": "ok"},
    "run.partial": {"fr": "partielle", "en": "partial"},
    "run.failed": {"fr": "échouée", "en": "failed"},
    "run.running": {"fr": "en cours", "en": "running"},
    "col.platform": {"fr": "Plateforme", "en": "Platform"},
    "col.ended": {"fr": "Fin", "en": "Ended"},
    "col.users": {"fr": "Profils", "en": "Profiles"},
    "col.errors": {"fr": "Erreurs", "en": "Errors"},
    "col.cost_usd": {"fr": "Coût estimé", "en": "Estimated cost"},
    "col.message": {"fr": "Message", "en": "Message"},
    "col.errors.of": {"fr": "Erreurs de la collecte n° {run}", "en": "Errors of run #{run}"},
    "col.cost.recorded": {"fr": "Coût enregistré (30 j)", "en": "Recorded cost (30 d)"},
    "col.cost.month": {"fr": "Estimation par mois", "en": "Estimate per month"},
    "col.cost.prices": {
        "fr": "Prix à l'usage appliqués : {prices}. Ils se modifient par les variables "
              "d'environnement TERRITOIRES_PRICES_<PLATEFORME>.",
        "en": "Pay-per-use prices applied: {prices}. Set them with the environment variables "
              "TERRITOIRES_PRICES_<PLATFORM>.",
    },
    "col.freshness": {"fr": "Fraîcheur des données", "en": "Data freshness"},
    "col.runs": {"fr": "Dernières collectes", "en": "Last collection runs"},
    "col.runs.none": {
        "fr": "Aucune collecte enregistrée (entrepôt de démonstration ou import de fichiers).",
        "en": "No collection run recorded (demo warehouse or file import).",
    },
    "col.cost": {"fr": "Coût estimé de l'API par mois", "en": "Estimated API cost per month"},
    "col.cost.text": {
        "fr": "Sur les 30 derniers jours : {posts} messages lus, {pages} pages, coût enregistré "
              "{cost}. Au même rythme, un mois de collecte coûte environ {month}.",
        "en": "Over the last 30 days: {posts} posts read, {pages} pages, recorded cost {cost}. "
              "At the same pace a month of collection costs about {month}.",
    },
    "col.source": {"fr": "Source", "en": "Source"},
    "col.endpoint": {"fr": "Point d'accès", "en": "Endpoint"},
    "col.pages": {"fr": "Pages", "en": "Pages"},
    "col.last_fetch": {"fr": "Dernière collecte", "en": "Last fetched"},
    "col.latest_post": {"fr": "Message le plus récent", "en": "Latest post"},
    "col.age_hours": {"fr": "Âge (heures)", "en": "Age (hours)"},
    "col.fetch_age": {"fr": "Il y a", "en": "Ago"},
    "col.price.platform": {"fr": "{platform} : {items}", "en": "{platform}: {items}"},
    "col.price.item": {"fr": "{price} {what}", "en": "{price} {what}"},
    "col.price.free": {"fr": "gratuit", "en": "free"},
    "col.price.post_read": {"fr": "par message lu", "en": "per post read"},
    "col.price.user_read": {"fr": "par profil lu", "en": "per profile read"},
    "col.price.owned_read": {"fr": "par message de la ville lu", "en": "per own post read"},
    # ---- definitions
    "def.title": {"fr": "Définitions des indicateurs", "en": "Metric definitions"},
    "def.missing": {
        "fr": "Le document des définitions (docs/metrics.md) est introuvable.",
        "en": "The definitions document (docs/metrics.md) was not found.",
    },
}


def set_lang(lang: str) -> None:
    _current["lang"] = lang if lang in LANGS else DEFAULT_LANG


def lang() -> str:
    try:
        import streamlit as st

        return str(st.session_state.get("lang", _current["lang"]))
    except Exception:  # outside a Streamlit run
        return _current["lang"]


def t(key: str, **values: object) -> str:
    """The string ``key`` in the current language, formatted with ``values``."""
    entry = S.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def fmt_int(n: float | int | None) -> str:
    if n is None:
        return t("na")
    s = f"{int(round(n)):,}"
    return s.replace(",", "\u202f") if lang() == "fr" else s


def fmt_num(x: float | None, digits: int = 1, sign: bool = False) -> str:
    if x is None:
        return t("na")
    s = f"{x:{'+' if sign else ''},.{digits}f}"  # thousands separated: 61,200.5
    if lang() != "fr":
        return s
    return s.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def fmt_pct(x: float | None, digits: int = 0) -> str:
    if x is None:
        return t("na")
    s = f"{100 * x:,.{digits}f}"
    if lang() != "fr":
        return s + "%"
    return s.replace(",", "\u202f").replace(".", ",") + "\u202f%"


def fmt_minutes(m: float | None) -> str:
    """A duration for people: "45 min", "3 h 20", "2 j 4 h"."""
    if m is None:
        return t("na")
    m = float(m)
    if m < 60:
        return f"{m:.0f} min"
    if m < 48 * 60:
        h, rest = divmod(int(round(m)), 60)
        return f"{h} h {rest:02d}" if rest else f"{h} h"
    d, rest = divmod(int(round(m / 60)), 24)
    unit = "j" if lang() == "fr" else "d"
    return f"{d} {unit} {rest} h" if rest else f"{d} {unit}"


def fmt_date(d: date | None, weekday: bool = False) -> str:
    if d is None:
        return t("na")
    lg = lang()
    if lg == "fr":
        s = f"{d.day}{'er' if d.day == 1 else ''} {_MONTHS['fr'][d.month - 1]} {d.year}"
        return f"{_WEEKDAYS['fr'][d.weekday()]} {s}" if weekday else s
    s = f"{_MONTHS['en'][d.month - 1]} {d.day}, {d.year}"
    return f"{_WEEKDAYS['en'][d.weekday()]}, {s}" if weekday else s


def fmt_short_date(d: date) -> str:
    if lang() == "fr":
        return f"{_WEEKDAYS_SHORT['fr'][d.weekday()]} {d.day:02d}/{d.month:02d}"
    return f"{_WEEKDAYS_SHORT['en'][d.weekday()]} {d.month:02d}/{d.day:02d}"


def fmt_datetime(dt: datetime | None) -> str:
    """A local datetime (already converted to the territory's zone)."""
    if dt is None:
        return t("na")
    if lang() == "fr":
        return f"{dt.day:02d}/{dt.month:02d}/{dt.year} {dt.hour:02d}:{dt.minute:02d}"
    return f"{dt.year}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}"


def weekday_names(short: bool = True) -> list[str]:
    return list((_WEEKDAYS_SHORT if short else _WEEKDAYS)[lang()])
